import torch

from mmsgg_rde.models.layers import (BiLSTMContext, HighwayLSTMDecoder,
                                     center_x_order)


def test_center_x_order_right_to_left_longest_image_first():
    boxes = [
        torch.tensor([[10., 0., 20., 5.], [0., 0., 4., 5.]]),
        torch.zeros(0, 4),
        torch.tensor([[5., 0., 6., 1.], [0., 0., 30., 1.], [1., 0., 2., 1.]]),
        torch.tensor([[0., 0., 2., 2.], [8., 0., 9., 1.]])
    ]
    # Centres: 15, 2 | - | 5.5, 15, 1.5 (offset 2) | 1, 8.5 (offset 5).
    orders = center_x_order(boxes)
    # Longest first; of equally long images the later one first.
    assert [o.tolist() for o in orders] == [[3, 2, 4], [6, 5], [0, 1]]
    per_image = center_x_order(boxes, per_image=True)
    assert [o.tolist() for o in per_image] == [[0, 1], [3, 2, 4], [6, 5]]
    assert center_x_order([torch.zeros(0, 4)]) == []


def test_center_x_order_keeps_float32_ties():
    """Centres 1/8192 apart tie after the image offset is added (float32),
    and the sort of the benchmark decides between them."""
    boxes = torch.tensor([[1000., 0., 1000., 1.], [1000.125, 0., 1000.125,
                                                   1.]])
    boxes = boxes.repeat(2000, 1)[:2000]
    order, = center_x_order([boxes])
    scores = 0.5 * (boxes[:, 0] + boxes[:, 2])
    scores = scores / (scores.max() + 1) + 2.0 * 2000 * 2
    assert torch.equal(order, torch.sort(scores, 0, descending=True)[1])


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


def _reference_step(decoder, inp, state, memory):
    """The highway LSTM equations on the whole input at once."""
    h = decoder.hidden_channels
    pi = decoder.input_linearity(inp)
    ps = decoder.state_linearity(state)
    gate = [
        pi[:, k * h:(k + 1) * h] + ps[:, k * h:(k + 1) * h] for k in range(5)
    ]
    memory = (
        torch.sigmoid(gate[0]) * torch.tanh(gate[2]) +
        torch.sigmoid(gate[1]) * memory)
    out = torch.sigmoid(gate[3]) * torch.tanh(memory)
    hw = torch.sigmoid(gate[4])
    return hw * out + (1 - hw) * pi[:, 5 * h:], memory


def test_highway_decoder_steps_and_teacher_forcing():
    torch.manual_seed(0)
    decoder = HighwayLSTMDecoder(
        in_channels=3, hidden_channels=4, num_classes=5, embed_dim=2)
    decoder.init_weights()
    assert decoder.label_embed.weight.shape == (7, 2)
    feats = torch.rand(4, 3)
    orders = [torch.tensor([2, 0]), torch.tensor([1, 3])]
    decoder.eval()
    logits, labels = decoder(feats, orders)
    assert logits.shape == (4, 6)
    # Greedy: the best foreground class, fed back; 'start' first.
    assert torch.equal(labels, logits[:, :5].argmax(1))
    state = torch.zeros(1, 4)
    memory = torch.zeros(1, 4)
    prev = torch.tensor([6])
    for idx in orders[0]:
        inp = torch.cat([feats[idx][None], decoder.label_embed(prev)], 1)
        state, memory = _reference_step(decoder, inp, state, memory)
        assert torch.allclose(
            decoder.classifier(state)[0], logits[idx], atol=1e-6)
        prev = labels[idx][None]

    # Teacher forcing: the teacher label, or the own best foreground class
    # where it is background (5).
    decoder.train()
    decoder.dropout = 0.0
    teacher = torch.tensor([4, 5, 0, 3])
    logits, labels = decoder(feats, orders, teacher)
    assert labels[[0, 2, 3]].tolist() == [4, 0, 3]
    assert labels[1] == logits[1, :5].argmax()


def test_highway_decoder_recurrent_dropout_mask_per_sequence():
    torch.manual_seed(0)
    decoder = HighwayLSTMDecoder(
        in_channels=3,
        hidden_channels=4,
        num_classes=5,
        embed_dim=2,
        dropout=0.5)
    feats = torch.rand(3, 3)
    orders = [torch.tensor([0, 1, 2])]
    decoder.train()
    torch.manual_seed(1)
    logits, _ = decoder(feats, orders, torch.tensor([0, 1, 2]))
    torch.manual_seed(1)
    mask = (torch.rand(1, 4) > 0.5).float() / 0.5
    state, memory = torch.zeros(1, 4), torch.zeros(1, 4)
    prev = torch.tensor([6])
    for idx in range(3):
        inp = torch.cat([feats[idx][None], decoder.label_embed(prev)], 1)
        state, memory = _reference_step(decoder, inp, state, memory)
        state = state * mask
        assert torch.allclose(
            decoder.classifier(state)[0], logits[idx], atol=1e-6)
        prev = torch.tensor([idx])
    # Eval: no mask.
    decoder.eval()
    assert not torch.allclose(decoder(feats, orders)[0], logits)
