import torch

from mmsgg_rde.models.layers import ClassEmbedding, load_glove_vectors


def _write_glove(tmp_path):
    (tmp_path / 'glove.6B.4d.txt'
     ).write_text('man 1 2 3 4\ntennis 0 0 0 2\nracket 0 0 2 0\nthe 9 9 9 9\n')
    return str(tmp_path)


def test_load_glove_vectors(tmp_path):
    glove_dir = _write_glove(tmp_path)
    vectors = load_glove_vectors(
        glove_dir, ['man', 'Tennis racket', 'zzz'], dim=4)
    assert vectors.shape == (3, 4)
    assert vectors[0].tolist() == [1, 2, 3, 4]
    # Missing as a whole: mean of its words.
    assert vectors[1].tolist() == [0, 0, 1, 1]


def test_class_embedding_init_from_glove(tmp_path):
    embed = ClassEmbedding(2, embed_dim=4, glove_dir=_write_glove(tmp_path))
    embed.set_class_names(['racket', 'man'])
    embed.init_weights()
    assert embed(torch.tensor([1, 0])).tolist() == [[1, 2, 3, 4], [0, 0, 2, 0]]


def test_class_embedding_without_glove_keeps_random_init():
    embed = ClassEmbedding(3, embed_dim=4)
    before = embed.weight.detach().clone()
    embed.init_weights()
    assert torch.equal(embed.weight, before)
    assert before.abs().sum() > 0
