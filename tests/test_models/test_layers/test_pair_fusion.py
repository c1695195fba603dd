import torch

from mmsgg_rde.models.layers import PairContextFusion, batch_pairs


def test_pair_features():
    torch.manual_seed(0)
    fusion = PairContextFusion(3, 5, union_channels=4, relu=True)
    fusion.init_weights()
    ctx = torch.randn(4, 3)
    pairs = batch_pairs([2, 2],
                        [torch.tensor([[0, 1]]),
                         torch.tensor([[1, 0]])])
    assert pairs.tolist() == [[0, 1], [3, 2]]
    union = torch.randn(2, 4)
    rel_feats, pair_ctx = fusion(ctx, pairs, union)
    head_tail = fusion.post_emb(ctx).relu().view(4, 2, 3)
    assert torch.equal(pair_ctx[1],
                       torch.cat([head_tail[3, 0], head_tail[2, 1]]))
    assert torch.allclose(
        rel_feats, fusion.post_cat(pair_ctx) * fusion.up_dim(union), atol=1e-6)
    assert PairContextFusion(3, 5, union_channels=5).up_dim is None
