"""The context LSTMs run under autocast (``test_cfg.fp16=True``)."""
import torch

from mmsgg_rde.models.layers import BiLSTMContext, HighwayLSTMDecoder


def test_context_and_decoder_under_autocast():
    torch.manual_seed(0)
    ctx = BiLSTMContext(in_channels=3, hidden_channels=4)
    decoder = HighwayLSTMDecoder(
        in_channels=3, hidden_channels=4, num_classes=5, embed_dim=2)
    decoder.eval()
    feats = torch.rand(5, 3)
    orders = [torch.tensor([1, 0]), torch.tensor([4, 2, 3])]
    expected = ctx(feats, orders)
    expected_logits, _ = decoder(feats, orders)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = ctx(feats, orders)
        logits, labels = decoder(feats, orders)
    assert out.shape == (5, 4) and logits.shape == (5, 6)
    assert labels.shape == (5, )
    torch.testing.assert_close(out.float(), expected, atol=0.05, rtol=0.05)
    torch.testing.assert_close(
        logits.float(), expected_logits, atol=0.05, rtol=0.05)
