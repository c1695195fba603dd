import torch
from mmengine.structures import InstanceData

from mmsgg_rde.models.layers import IMPContext


def _objects(counts):
    return [
        InstanceData(
            bboxes=torch.rand(n, 4) * 10,
            labels=torch.zeros(n, dtype=torch.long),
            logits=torch.randn(n, 4)) for n in counts
    ]


def test_messages_follow_the_pairs():
    torch.manual_seed(0)
    context = IMPContext(
        in_channels=5,
        rel_channels=6,
        num_classes=3,
        mode='sgcls',
        hidden_channels=4,
        union_channels=7)
    context.init_weights()
    feats = torch.randn(5, 5)
    # Image 1 has one object and no pairs.
    pairs = [
        torch.tensor([[0, 1], [1, 2], [3, 0]]),
        torch.zeros(0, 2, dtype=torch.long)
    ]
    args = (feats, torch.randn(3, 7), _objects([4, 1]), pairs,
            [dict(img_shape=(10, 10))] * 2)
    out = context(*args)
    assert out.rel_feats.shape == (3, 4) and out.obj_logits.shape == (5, 4)
    assert torch.equal(out.obj_labels, out.obj_logits[:, :3].argmax(1))
    # A round updates nodes from the edges' previous states, edges from the
    # nodes' previous states: after two rounds object 0 hears object 3
    # through their edge, object 2 (linked to 1 only) does not.
    context.num_iters = 2
    base = context(*args)
    moved = feats.clone()
    moved[3] += 1.0
    out = context(moved, *args[1:])
    assert torch.allclose(out.edge_ctx[2], base.edge_ctx[2])
    assert not torch.allclose(out.edge_ctx[0], base.edge_ctx[0])
    context.num_iters = 1
    base = context(*args)
    # The lone object hears nothing: one GRU step from its feature, one
    # from a zero message.
    start = context.node_gru(context.obj_proj(feats[4:]))
    lone = context.node_gru(torch.zeros(1, 4), start)
    assert torch.allclose(base.edge_ctx[4:], lone)
