import pytest
import torch

from mmsgg_rde.models.layers import ClassEmbedding, load_glove_vectors


def _write_glove(tmp_path):
    (tmp_path / 'glove.6B.4d.txt').write_text(
        'man 1 2 3 4\ntennis 0 0 0 2\nracket 0 0 2 0\nstart 5 5 5 5\n'
        'table 7 7 7 7\n')
    return str(tmp_path)


def test_load_glove_vectors_benchmark_rule(tmp_path):
    glove_dir = _write_glove(tmp_path)
    torch.manual_seed(0)
    vectors = load_glove_vectors(
        glove_dir, ['man', 'racket tennis', 'Man', 'table top', 'zzz'], dim=4)
    assert vectors.shape == (5, 4)
    assert vectors[0].tolist() == [1, 2, 3, 4]
    # Missing as a whole: its longest word, the first of equally long ones.
    assert vectors[1].tolist() == [0, 0, 2, 0]
    assert vectors[3].tolist() == [7, 7, 7, 7]
    # No lower-casing; otherwise random normal.
    torch.manual_seed(0)
    expected = torch.randn(5, 4)
    assert torch.equal(vectors[[2, 4]], expected[[2, 4]])


def test_load_glove_vectors_missing_file_says_how_to_get_it(tmp_path):
    with pytest.raises(FileNotFoundError, match='glove.6B.zip'):
        load_glove_vectors(str(tmp_path), ['man'], dim=4)


def test_class_embedding_init_from_glove_with_extra_tokens(tmp_path):
    embed = ClassEmbedding(
        2,
        embed_dim=4,
        glove_dir=_write_glove(tmp_path),
        extra_tokens=('__background__', 'start'))
    assert embed.weight.shape == (4, 4)
    embed.set_class_names(['racket', 'man'])
    embed.init_weights()
    assert embed(torch.tensor([1, 0, 3])).tolist() == [[1, 2, 3, 4],
                                                       [0, 0, 2, 0],
                                                       [5, 5, 5, 5]]


def test_class_embedding_with_glove_needs_class_names(tmp_path):
    embed = ClassEmbedding(2, embed_dim=4, glove_dir=_write_glove(tmp_path))
    with pytest.raises(RuntimeError, match='DatasetPriorHook'):
        embed.init_weights()


def test_class_embedding_without_glove_keeps_random_init():
    embed = ClassEmbedding(3, embed_dim=4)
    before = embed.weight.detach().clone()
    embed.init_weights()
    assert torch.equal(embed.weight, before)
    assert before.abs().sum() > 0
