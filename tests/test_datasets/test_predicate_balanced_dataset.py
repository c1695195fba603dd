import math

import numpy as np
import pytest
from mmengine.dataset import BaseDataset

from mmsgg_rde.datasets import (PredicateBalancedDataset, count_predicates,
                                image_predicates, unwrap_dataset)

# Predicates per image: 'on' (1) everywhere, 'has' (2) in two images,
# 'riding' (3) in one, one image without relations.
IMAGE_PREDICATES = [[1, 1], [1, 2], [1, 2, 3], [1], [1], [1], [1], [1], [1],
                    []]


class GraphList(BaseDataset):
    """Images with relations only (subject, object, predicate)."""
    METAINFO = dict(predicates=('on', 'has', 'riding'))

    def __init__(self):
        super().__init__(serialize_data=False)

    def load_data_list(self):
        return [
            dict(
                relations=np.array([[0, 1, p] for p in image]).reshape(-1, 3))
            for image in IMAGE_PREDICATES
        ]

    def get_statistics(self):
        return dict(pred_dist=np.ones(1))


def test_count_predicates():
    dataset = GraphList()
    assert image_predicates(dataset, 2).tolist() == [1, 2, 3]
    assert count_predicates(dataset).tolist() == [0, 10, 2, 1]


def test_repeat_factors_follow_the_rarest_predicate():
    wrapper = PredicateBalancedDataset(GraphList(), oversample_thr=0.5)
    # Image fractions: on 9/10 (no repeat), has 2/10 -> sqrt(0.5 / 0.2),
    # riding 1/10 -> sqrt(0.5 / 0.1); an image takes its rarest predicate.
    has, riding = math.sqrt(2.5), math.sqrt(5.0)
    repeats = np.bincount(wrapper.repeat_indices, minlength=10)
    expected = [1, math.ceil(has), math.ceil(riding)] + [1] * 7
    assert repeats.tolist() == expected
    assert len(wrapper) == sum(expected)
    # Counts and statistics are those of the images without repeats.
    assert unwrap_dataset(wrapper) is wrapper.dataset
    assert count_predicates(wrapper).tolist() == [0, 10, 2, 1]
    assert wrapper.get_statistics()['pred_dist'].tolist() == [1.0]
    with pytest.raises(ValueError, match='oversample_thr'):
        PredicateBalancedDataset(GraphList(), oversample_thr=0.0)


def test_stochastic_rounding_is_unbiased():
    """LVIS's rounding: floor(r) or floor(r) + 1 repeats, r on average."""
    has, riding = math.sqrt(2.5), math.sqrt(5.0)
    repeats = np.array([
        np.bincount(
            PredicateBalancedDataset(
                GraphList(),
                oversample_thr=0.5,
                rounding='stochastic',
                seed=seed).repeat_indices,
            minlength=10) for seed in range(400)
    ])
    assert set(repeats[:, 1].tolist()) == {1, 2}
    assert set(repeats[:, 2].tolist()) == {2, 3}
    assert (repeats[:, [0] + list(range(3, 10))] == 1).all()
    # Mean of 400 Bernoulli draws: standard error below 0.025.
    assert repeats[:, 1].mean() == pytest.approx(has, abs=0.08)
    assert repeats[:, 2].mean() == pytest.approx(riding, abs=0.08)
    first = PredicateBalancedDataset(
        GraphList(), oversample_thr=0.5, rounding='stochastic', seed=3)
    again = PredicateBalancedDataset(
        GraphList(), oversample_thr=0.5, rounding='stochastic', seed=3)
    assert first.repeat_indices == again.repeat_indices
    with pytest.raises(ValueError, match='rounding'):
        PredicateBalancedDataset(GraphList(), rounding='round')


def test_image_predicates_need_relations():

    class Plain(GraphList):

        def load_data_list(self):
            return [dict(img_id=0)]

    with pytest.raises(KeyError, match='relations'):
        image_predicates(Plain(), 0)


def test_duplicate_pairs_count_their_expected_share():

    class Duplicates(GraphList):
        """Image 0: pair (0, 1) annotated 'on' and 'has'; (1, 0) 'on'."""
        filter_duplicate_rels = True

        def load_data_list(self):
            return [
                dict(relations=np.array([[0, 1, 1], [0, 1, 2], [1, 0, 1]]))
            ]

        def get_data_info(self, idx):
            info = super().get_data_info(idx)
            if self.filter_duplicate_rels:
                info['relations'] = info['relations'][[0, 2]]
            return info

    dataset = Duplicates()
    assert count_predicates(dataset).tolist() == [0, 1.5, 0.5, 0]
    assert image_predicates(dataset, 0).tolist() == [1, 2, 1]
    dataset.filter_duplicate_rels = False
    assert count_predicates(dataset).tolist() == [0, 2, 1, 0]
