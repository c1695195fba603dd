import numpy as np

from mmsgg_rde.datasets.synthvg import (DUPLICATE_ALIASES, predicate_quota,
                                        resolve_synthvg_params,
                                        sample_synthvg_world,
                                        synthvg_predicate_weights)
from mmsgg_rde.datasets.vg150_io import load_vocabulary

SEED = 3


def _split_counts(scenes, split):
    predicates = np.concatenate(
        [s.relations[:, 2] for s in scenes if s.split == split])
    return np.bincount(predicates, minlength=51)[1:]


def test_all_predicates_in_train_and_test():
    scenes = sample_synthvg_world('tiny', seed=SEED)
    for split in (0, 2):
        assert _split_counts(scenes, split).min() >= 1


def test_world_is_long_tailed_in_both_splits():
    scenes = sample_synthvg_world(
        'tiny', seed=SEED, num_train=80, num_test=80, rels_per_image=(3, 5))
    for split in (0, 2):
        counts = _split_counts(scenes, split)
        assert counts.min() >= 1
        assert counts.max() / counts.min() >= 50
        assert load_vocabulary()['predicates'][np.argmax(counts)] == 'on'


def test_relations_follow_the_predicate_quota():
    params = resolve_synthvg_params('tiny', duplicate_prob=0.0)
    weights = synthvg_predicate_weights(params['long_tail_ratio'])
    scenes = sample_synthvg_world('tiny', seed=SEED, duplicate_prob=0.0)
    for split in (0, 2):
        counts = _split_counts(scenes, split)
        quota = predicate_quota(counts.sum(), weights, 1)
        np.testing.assert_array_equal(counts, quota)


def test_duplicate_pairs_get_the_alias():
    vocab = load_vocabulary()
    alias = {
        vocab['predicates'].index(k) + 1: vocab['predicates'].index(v) + 1
        for k, v in DUPLICATE_ALIASES.items()
    }
    scenes = sample_synthvg_world('tiny', seed=SEED, duplicate_prob=1.0)
    duplicated = 0
    for scene in scenes:
        pairs = {}
        for s, o, p in scene.relations.tolist():
            pairs.setdefault((s, o), []).append(p)
        for predicates in pairs.values():
            if len(predicates) > 1:
                assert predicates[1] == alias[predicates[0]]
                duplicated += 1
    assert duplicated > 0
