import torch
from mmengine.structures import InstanceData

from mmsgg_rde.models.layers import (ObjectTransformer, TransformerContext,
                                     greedy_label_nms)


def test_object_transformer_attends_within_each_image():
    torch.manual_seed(0)
    encoder = ObjectTransformer(
        2,
        embed_dims=8,
        num_heads=2,
        key_dim=3,
        value_dim=5,
        feedforward_channels=16)
    encoder.init_weights()
    encoder.eval()
    feats = torch.randn(7, 8)
    out = encoder(feats, [4, 3])
    assert torch.allclose(out[:4], encoder(feats[:4], [4]), atol=1e-6)
    assert torch.allclose(out[4:], encoder(feats[4:], [3]), atol=1e-6)
    # An image without objects changes nothing; gradients stay finite.
    feats.requires_grad_()
    with_empty = encoder(feats, [4, 0, 3])
    assert torch.allclose(with_empty, out, atol=1e-6)
    with_empty.sum().backward()
    assert all(p.grad.isfinite().all() for p in encoder.parameters())


def test_greedy_label_nms_by_hand():
    # Objects 0 and 1 share a box; 2 is elsewhere. Class 0 is best for all.
    box = torch.tensor([0., 0., 10., 10.])
    far = torch.tensor([50., 50., 60., 60.])
    bboxes_per_cls = torch.stack([box, box, far])[:, None].repeat(1, 2, 1)
    probs = torch.tensor([[0.6, 0.3, 0.1], [0.7, 0.2, 0.1], [0.5, 0.4, 0.1]])
    labels = greedy_label_nms(probs, bboxes_per_cls, 0.5)
    # 1 takes class 0 first (0.7) and suppresses it for 0, which falls back
    # to class 1; 2 does not overlap and keeps class 0.
    assert labels.tolist() == [1, 0, 0]
    # Zero probabilities left: the first zero in (object, class) order is
    # taken, here 1 (class 0, suppressed by 0), then 0 again (its class 0
    # came back to 0 from -1 by 1's suppression); 2 keeps background.
    probs = torch.tensor([[0.6, 0.4, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    same = torch.stack([box, box, box])[:, None].repeat(1, 2, 1)
    assert greedy_label_nms(probs, same, 0.5).tolist() == [0, 0, 2]


def test_sgdet_test_labels_use_the_label_nms():
    torch.manual_seed(0)
    context = TransformerContext(
        in_channels=6,
        rel_channels=6,
        num_classes=3,
        mode='sgdet',
        embed_dim=4,
        hidden_channels=8,
        num_heads=2,
        key_dim=2,
        value_dim=2,
        feedforward_channels=8)
    context.init_weights()
    box = torch.tensor([[0., 0., 10., 10.]]).repeat(3, 1)
    objects = [
        InstanceData(
            bboxes=box,
            labels=torch.zeros(3, dtype=torch.long),
            logits=torch.randn(3, 4),
            bboxes_per_cls=box[:, None].repeat(1, 3, 1))
    ]
    feats = torch.randn(1, 6).repeat(3, 1)
    args = (feats, torch.randn(1, 6), objects, [torch.tensor([[0, 1]])],
            [dict(img_shape=(20, 20))])
    context.eval()
    out = context(*args)
    # Identical objects on one box: the NMS gives them different classes.
    assert len(set(out.obj_labels.tolist())) == 3
    context.train()
    out = context(*args)
    assert torch.equal(out.obj_labels, out.obj_logits[:, :3].argmax(1))
