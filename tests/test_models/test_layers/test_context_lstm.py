import torch

from mmsgg_rde.models.layers import (BiLSTMContext, GreedyLabelDecoder,
                                     left_to_right_order)


def test_left_to_right_order():
    boxes = [
        torch.tensor([[10., 0., 20., 5.], [0., 0., 4., 5.]]),
        torch.zeros(0, 4),
        torch.tensor([[5., 0., 6., 1.], [0., 0., 30., 1.], [1., 0., 2., 1.]])
    ]
    orders = left_to_right_order(boxes)
    # Centres: 15, 2 | - | 5.5, 15, 1.5 (offset 2).
    assert [o.tolist() for o in orders] == [[1, 0], [], [4, 2, 3]]


def test_bilstm_context_matches_per_image_lstm():
    torch.manual_seed(0)
    ctx = BiLSTMContext(in_channels=3, hidden_channels=4)
    feats = torch.rand(5, 3)
    orders = [
        torch.tensor([1, 0]),
        torch.tensor([], dtype=torch.long),
        torch.tensor([4, 2, 3])
    ]
    out = ctx(feats, orders)
    assert out.shape == (5, 4)
    for order in (orders[0], orders[2]):
        expected = ctx.proj(ctx.lstm(feats[order])[0])
        assert torch.allclose(out[order], expected, atol=1e-6)


def test_decoder_teacher_forcing_and_greedy():
    torch.manual_seed(0)
    decoder = GreedyLabelDecoder(
        in_channels=3, hidden_channels=4, num_classes=5, embed_dim=2)
    feats = torch.rand(4, 3)
    orders = [torch.tensor([2, 0]), torch.tensor([1, 3])]
    teacher = torch.tensor([4, -1, 0, 3])
    logits, labels = decoder(feats, orders, teacher)
    assert logits.shape == (4, 5)
    assert labels[[0, 2, 3]].tolist() == [4, 0, 3]
    assert labels[1] == logits[1].argmax()
    logits, labels = decoder(feats, orders)
    assert torch.equal(labels, logits.argmax(dim=1))
