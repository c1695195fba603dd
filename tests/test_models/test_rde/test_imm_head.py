import pytest
import torch
import torch.nn.functional as F

from mmsgg_rde.models.rde import IMMHead


def _sigmas(num=5, dims=6):
    return (torch.randn(num, dims, requires_grad=True),
            torch.randn(num, dims, requires_grad=True))


@pytest.mark.parametrize('target,tasks', [
    ('subject_object', ('subject', 'object')),
    ('predicate', ('predicate', )),
    ('triplet', ('subject', 'object', 'predicate')),
])
def test_imm_head_tasks_and_shapes(target, tasks):
    head = IMMHead(
        6, num_classes=7, num_predicates=4, target=target, hidden_channels=3)
    sigma_s, sigma_o = _sigmas()
    logits = head(sigma_s, sigma_o)
    assert tuple(logits) == tasks
    sizes = dict(subject=7, object=7, predicate=4)
    for task in tasks:
        assert logits[task].shape == (5, sizes[task])
    targets = head.get_targets(
        torch.zeros(5).long(),
        torch.ones(5).long(), torch.full((5, ), 2))
    assert tuple(targets) == tasks
    assert set(head.classifiers) == set(tasks)


def test_imm_head_is_w2_relu_w1():
    head = IMMHead(6, num_classes=7, hidden_channels=3)
    sigma_s, sigma_o = _sigmas()
    mlp = head.classifiers['subject']
    expected = mlp[2](F.relu(mlp[0](sigma_s)))
    assert torch.allclose(head(sigma_s, sigma_o)['subject'], expected)


def test_imm_head_subject_sees_sigma_s_only():
    head = IMMHead(6, num_classes=7, hidden_channels=3)
    sigma_s, sigma_o = _sigmas()
    labels = torch.randint(0, 7, (5, ))
    logits = head(sigma_s, sigma_o)
    sub_loss = F.cross_entropy(logits['subject'], labels)
    grad_s, grad_o = torch.autograd.grad(
        sub_loss, [sigma_s, sigma_o], allow_unused=True)
    assert grad_s.abs().sum() > 0
    assert grad_o is None or not grad_o.any()
    obj_loss = F.cross_entropy(logits['object'], labels)
    grad_s, grad_o = torch.autograd.grad(
        obj_loss, [sigma_s, sigma_o], allow_unused=True)
    assert grad_o.abs().sum() > 0
    assert grad_s is None or not grad_s.any()


def test_imm_head_bad_target():
    with pytest.raises(ValueError, match='target'):
        IMMHead(6, target='objects')
