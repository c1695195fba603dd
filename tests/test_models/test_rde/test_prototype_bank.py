import math

import numpy as np
import pytest
import torch

from mmsgg_rde.models.rde import (PrototypeBank, load_word_vectors,
                                  prototype_distance)


def test_prototype_distance_hand_computed():
    x = torch.tensor([[1.0, 0.0], [3.0, 4.0]])
    y = torch.tensor([[0.0, 1.0], [6.0, 8.0]])
    # Orthogonal unit vectors: 1 - cos = 1, ||x - y|| = sqrt(2).
    # Parallel vectors: 1 - cos = 0, ||x - y|| = 5.
    dist = prototype_distance(x, y)
    assert dist.tolist() == pytest.approx([1 + math.sqrt(2), 5.0])
    weighted = prototype_distance(
        x, y, cosine_weight=2.0, euclidean_weight=0.5)
    assert weighted.tolist() == pytest.approx([2 + 0.5 * math.sqrt(2), 2.5])
    literal = prototype_distance(x, y, cosine_mode='similarity')
    assert literal.tolist() == pytest.approx([math.sqrt(2), 6.0])


def test_prototype_distance_broadcasts_and_rejects_mode():
    x = torch.randn(3, 4)
    pairwise = prototype_distance(x[:, None], x[None])
    assert pairwise.shape == (3, 3)
    assert torch.allclose(pairwise.diagonal(), torch.zeros(3), atol=1e-5)
    with pytest.raises(ValueError, match='cosine_mode'):
        prototype_distance(x, x, cosine_mode='cos')


def test_prototype_bank_distances():
    bank = PrototypeBank(3, 2, cosine_weight=0.0)
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
