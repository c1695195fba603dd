import numpy as np
import torch

from mmsgg_rde.apis import frequency_prior_relations, frequency_prior_sample

NUM_CLASSES = 3
NUM_PREDICATES = 4


def _pred_dist():
    """Log-frequency table where (s, o) prefers predicate 1 + (s + o) % 3,
    by a margin that grows with s."""
    dist = np.zeros((NUM_CLASSES, NUM_CLASSES, NUM_PREDICATES), np.float32)
    for s in range(NUM_CLASSES):
        for o in range(NUM_CLASSES):
            dist[s, o, 1 + (s + o) % 3] = 1. + s
    return dist


def test_relations_rank_pairs_by_triplet_score():
    labels = torch.tensor([0, 2, 1])
    scores = torch.tensor([0.5, 1.0, 0.25])
    rel = frequency_prior_relations(labels, scores, _pred_dist())

    assert len(rel) == 6
    assert (rel.pairs[:, 0] != rel.pairs[:, 1]).all()
    assert {tuple(p)
            for p in rel.pairs.tolist()} == {(i, j)
                                             for i in range(3)
                                             for j in range(3) if i != j}
    expected = torch.as_tensor(_pred_dist())[labels[rel.pairs[:, 0]],
                                             labels[rel.pairs[:, 1]]]
    torch.testing.assert_close(rel.scores, expected.softmax(-1))
    assert torch.equal(
        rel.labels,
        1 + (labels[rel.pairs[:, 0]] + labels[rel.pairs[:, 1]]) % 3)
    triplet = (
        rel.scores[:, 1:].max(1)[0] * scores[rel.pairs[:, 0]] *
        scores[rel.pairs[:, 1]])
    assert (triplet[:-1] >= triplet[1:]).all()
    # Subject 1 (label 2, score 1) with object 0 (score 0.5) ranks first.
    assert rel.pairs[0].tolist() == [1, 0]


def test_predcls_sample_uses_gt_objects_with_score_one():
    data_info = dict(
        img_id=7,
        bboxes=np.array([[0, 0, 10, 10], [5, 5, 20, 20]], np.float32),
        bbox_labels=np.array([1, 2]),
        relations=np.array([[0, 1, 3]]))
    sample = frequency_prior_sample(data_info, _pred_dist())

    assert (sample.pred_instances.scores == 1).all()
    assert torch.equal(sample.pred_instances.labels, torch.tensor([1, 2]))
    assert sample.pred_relations.pairs.tolist() == [[1, 0], [0, 1]]
    assert sample.gt_relations.labels.tolist() == [3]


def test_single_object_has_no_pair():
    rel = frequency_prior_relations(
        torch.tensor([1]), torch.tensor([0.9]), _pred_dist())
    assert len(rel) == 0
    assert rel.pairs.shape == (0, 2)
