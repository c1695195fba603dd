import math

import numpy as np
import pytest
import torch

from mmsgg_rde.models.rde import (PrototypeBank, load_word_vectors,
                                  prototype_distance)


def test_prototype_distance_hand_computed():
    x = torch.tensor([[1.0, 0.0], [3.0, 4.0], [2.0, 0.0]])
    y = torch.tensor([[0.0, 1.0], [6.0, 8.0], [0.0, 5.0]])
    # Orthogonal: 1 - cos = 1, normalised ||x - y|| = sqrt(2) (raw: 1,
    # sqrt(29)); parallel: 1 - cos = 0 and normalised ||x - y|| = 0 (raw 5).
    dist = prototype_distance(x, y)
    assert dist.tolist() == pytest.approx(
        [1 + math.sqrt(2), 0.0, 1 + math.sqrt(2)])
    raw = prototype_distance(x, y, normalize=False)
    assert raw.tolist() == pytest.approx(
        [1 + math.sqrt(2), 5.0, 1 + math.sqrt(29)])
    weighted = prototype_distance(
        x, y, cosine_weight=2.0, euclidean_weight=0.5, normalize=False)
    assert weighted.tolist()[:2] == pytest.approx(
        [2 + 0.5 * math.sqrt(2), 2.5])
    literal = prototype_distance(
        x, y, cosine_mode='similarity', normalize=False)
    assert literal.tolist()[:2] == pytest.approx([math.sqrt(2), 6.0])


def test_prototype_distance_does_not_grow_with_width_or_scale():
    torch.manual_seed(0)
    means = []
    for width in (8, 64, 512, 4096):
        x, y = torch.randn(2, 256, width).unbind(0)
        dist = prototype_distance(x, 10 * y)
        means.append(dist.mean().item())
        raw = prototype_distance(x, 10 * y, normalize=False)
        assert raw.mean().item() > 9 * width**0.5
    # Random directions: 1 - cos ~ 1 and the chord ~ sqrt(2) at any width.
    assert means == pytest.approx([1 + math.sqrt(2)] * 4, rel=0.15)


def test_prototype_distance_broadcasts_and_rejects_mode():
    x = torch.randn(3, 4)
    pairwise = prototype_distance(x[:, None], x[None])
    assert pairwise.shape == (3, 3)
    assert torch.allclose(pairwise.diagonal(), torch.zeros(3), atol=1e-5)
    with pytest.raises(ValueError, match='cosine_mode'):
        prototype_distance(x, x, cosine_mode='cos')


def test_prototype_bank_default_init_is_unit_norm():
    for width in (16, 512):
        bank = PrototypeBank(50, width)
        norms = bank.prototypes.norm(dim=1)
        assert norms.mean().item() == pytest.approx(1.0, rel=0.2)


def test_prototype_bank_distances():
    bank = PrototypeBank(3, 2, cosine_weight=0.0, normalize=False)
    with torch.no_grad():
        bank.prototypes.copy_(
            torch.tensor([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]]))
    assert bank().shape == (3, 2)
    feats = torch.tensor([[0.0, 0.0], [0.0, 0.0]])
    dist = bank.distance_to(feats, torch.tensor([1, 2]))
    assert dist.tolist() == pytest.approx([5.0, 1.0])
    pairwise = bank.pairwise_distances()
    assert pairwise[0, 1].item() == pytest.approx(5.0)
    assert pairwise[1, 2].item() == pytest.approx(math.sqrt(9 + 9))


def test_prototype_bank_gradients_with_zero_distance():
    bank = PrototypeBank(4, 3)
    loss = bank.pairwise_distances().sum() + bank.distance_to(
        bank.prototypes[:2].detach(), torch.tensor([0, 1])).sum()
    loss.backward()
    assert torch.isfinite(bank.prototypes.grad).all()
    assert bank.prototypes.grad.abs().sum() > 0


def test_prototype_bank_word_vector_init(tmp_path):
    vectors = np.arange(12, dtype=np.float32).reshape(3, 4)
    same = PrototypeBank(3, 4, word_vectors=torch.from_numpy(vectors))
    assert torch.equal(same.prototypes.data, torch.from_numpy(vectors))
    path = tmp_path / 'predicates.npy'
    np.save(path, vectors)
    projected = PrototypeBank(3, 2, word_vectors=str(path))
    assert projected.prototypes.shape == (3, 2)
    assert projected.prototypes.requires_grad
    pt_path = tmp_path / 'predicates.pt'
    torch.save(torch.from_numpy(vectors), pt_path)
    assert torch.equal(
        load_word_vectors(str(pt_path)), torch.from_numpy(vectors))


def test_prototype_bank_bad_word_vectors(tmp_path):
    with pytest.raises(ValueError, match='background'):
        PrototypeBank(2, 4, word_vectors=torch.zeros(3, 4))
    with pytest.raises(FileNotFoundError, match='missing.npy'):
        PrototypeBank(2, 4, word_vectors=str(tmp_path / 'missing.npy'))
    bad_suffix = tmp_path / 'vectors.txt'
    bad_suffix.write_text('0 1')
    with pytest.raises(ValueError, match='.npy, .pt or .pth'):
        PrototypeBank(2, 4, word_vectors=str(bad_suffix))
    with pytest.raises(ValueError, match='shape'):
        PrototypeBank(2, 4, word_vectors=torch.zeros(2, 4, 1))
    with pytest.raises(ValueError, match='cosine_mode'):
        PrototypeBank(2, 4, cosine_mode='cos')
