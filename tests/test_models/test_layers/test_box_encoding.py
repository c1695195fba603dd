import pytest
import torch

from mmsgg_rde.models.layers import BoxPositionEmbedding, encode_box_info


def test_encode_box_info_hand_computed():
    # w = 9 - 0 + 1 = 10, h = 19 - 0 + 1 = 20, centre (5, 10) in a 10x20
    # (w x h) image.
    info = encode_box_info(torch.tensor([[0., 0., 9., 19.]]), (20, 10))
    expected = [1.0, 1.0, 0.5, 0.5, 0.0, 0.0, 0.9, 0.95, 1.0]
    assert info.shape == (1, 9)
    assert info[0].tolist() == pytest.approx(expected)


def test_box_position_embedding_shape():
    embed = BoxPositionEmbedding(hidden_channels=4, out_channels=6)
    out = embed(torch.rand(5, 9))
    assert out.shape == (5, 6)
    assert (out >= 0).all()


def test_box_position_embedding_single_box_in_training():
    embed = BoxPositionEmbedding(hidden_channels=4, out_channels=6)
    embed.train()
    running_mean = embed.norm.running_mean.clone()
    assert embed(torch.rand(1, 9)).shape == (1, 6)
    assert torch.equal(embed.norm.running_mean, running_mean)
    assert embed.norm.training
