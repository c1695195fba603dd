import torch

from mmsgg_rde.models.layers import ClassEmbedding, ClassEmbeddingWithExtras


def test_extra_rows_and_glove(tmp_path):
    glove = tmp_path / 'glove.6B.2d.txt'
    glove.write_text('dog 1 2\ncat 3 4\nstart 5 6\n')
    embed = ClassEmbeddingWithExtras(
        2, 2, str(tmp_path), extra_tokens=('__background__', 'start'))
    # DatasetPriorHook finds it as a ClassEmbedding and gives C names.
    assert isinstance(embed, ClassEmbedding)
    embed.set_class_names(['dog', 'cat'])
    embed.init_weights()
    weight = embed.weight.detach()
    assert weight.shape == (4, 2)
    assert weight[[0, 1, 3]].tolist() == [[1, 2], [3, 4], [5, 6]]
    assert embed(torch.tensor([3])).tolist() == [[5, 6]]
