import numpy as np
import pytest

from mmsgg_rde.datasets.synthvg import (CLASS_STYLES, compile_predicate_cells,
                                        predicate_quota,
                                        resolve_synthvg_params,
                                        synthvg_image_ids,
                                        synthvg_predicate_weights)
from mmsgg_rde.datasets.vg150_io import CORRUPTED_IMAGE_IDS, load_vocabulary


def test_rules_cover_every_predicate_once():
    cells = compile_predicate_cells()
    assert sorted(cells) == list(range(1, 51))
    keys = [(g, s, o) for c in cells.values()
            for g, s, o in zip(c.geometry, c.subject, c.object)]
    assert len(keys) == len(set(keys))
    classes = load_vocabulary()['classes']
    assert all(name in classes for name in CLASS_STYLES)


def test_predicate_quota_by_hand():
    # shares 6, 2, 2 are whole
    assert predicate_quota(10, np.array([3, 1, 1]), 1).tolist() == [6, 2, 2]
    # shares 3.5, 1.75, 1.75: floors 3, 1, 1, the two largest remainders
    # get the 2 missing relations
    assert predicate_quota(7, np.array([2, 1, 1]), 1).tolist() == [3, 2, 2]
    # the minimum count wins over a too small total
    assert predicate_quota(2, np.ones(3), 1).tolist() == [1, 1, 1]
    # shares 9.9, 0.1: the rare one is raised to 1 and the head pays
    assert predicate_quota(10, np.array([99, 1]), 1).tolist() == [9, 1]


def test_default_preset_quota_is_long_tailed():
    params = resolve_synthvg_params('default')
    weights = synthvg_predicate_weights(params['long_tail_ratio'])
    assert weights.max() == 1
    assert weights.max() / weights.min() == pytest.approx(80)
    num_rels = min(params['rels_per_image'])
    for num_images in (params['num_train'], params['num_test']):
        usable = num_images * (1 - params['empty_rel_fraction'] -
                               params['no_box_fraction'])
        counts = predicate_quota(int(usable * num_rels), weights, 1)
        assert counts.min() >= 1
        assert counts.max() / counts.min() >= 50


def test_image_ids_skip_and_span_the_corrupted_ids():
    ids = synthvg_image_ids(60, 5000)
    assert len(ids) == 60 and np.all(np.diff(ids) > 0)
    assert ids.min() >= 1 and ids.max() <= 5000
    assert not np.isin(ids, CORRUPTED_IMAGE_IDS).any()
    assert ids.min() < min(CORRUPTED_IMAGE_IDS)
    assert ids.max() > max(CORRUPTED_IMAGE_IDS)
    many = synthvg_image_ids(6000, 5000)
    expected = np.setdiff1d(np.arange(1, 6005), CORRUPTED_IMAGE_IDS)
    np.testing.assert_array_equal(many, expected)
