import numpy as np
import pytest

from mmsgg_rde.datasets.synthvg import (GENERIC_PARENTS, annotate_predicates,
                                        annotation_bias_model,
                                        resolve_synthvg_params,
                                        sample_synthvg_world,
                                        synthvg_predicate_weights)
from mmsgg_rde.datasets.vg150_io import load_vocabulary

PREDICATES = load_vocabulary()['predicates']
ID = {name: i + 1 for i, name in enumerate(PREDICATES)}


def test_families_split_the_predicates():
    generic = set(GENERIC_PARENTS.values())
    assert not generic & set(GENERIC_PARENTS)
    assert generic | set(GENERIC_PARENTS) <= set(PREDICATES)
    assert {'on', 'has', 'in', 'of', 'near'} <= generic
    # Every class-specific predicate has a parent; the general rules'
    # predicates (two without specific children) have none.
    unrelated = set(PREDICATES) - generic - set(GENERIC_PARENTS)
    assert unrelated == {'behind', 'under'}


def test_probability_grows_with_the_parent_frequency():
    bias = annotation_bias_model(0.9, 0.5, 80.0)
    weights = synthvg_predicate_weights(80.0)
    # Children of the most frequent predicate get the full bias.
    assert bias.prob[ID['parked on']] == pytest.approx(0.9)
    assert bias.parent[ID['parked on']] == ID['on']
    expected = 0.9 * np.sqrt(weights[ID['has'] - 1] / weights.max())
    assert bias.prob[ID['wearing']] == pytest.approx(expected)
    children = [ID[c] for c in GENERIC_PARENTS]
    parent_weight = weights[bias.parent[children] - 1]
    order = np.argsort(parent_weight)
    assert np.all(np.diff(bias.prob[children][order]) >= 0)
    assert np.all(bias.prob[[ID[g]
                             for g in set(GENERIC_PARENTS.values())]] == 0)


def test_annotation_replaces_a_predicate_by_its_parent_only():
    bias = annotation_bias_model(0.9, 0.5, 80.0)
    rng = np.random.default_rng(0)
    true = np.repeat([ID['parked on'], ID['wearing'], ID['on']], 20000)
    annotated = annotate_predicates(true, bias, rng)
    changed = annotated != true
    assert np.all(annotated[changed] == bias.parent[true[changed]])
    for name in ('parked on', 'wearing', 'on'):
        rate = changed[true == ID[name]].mean()
        assert rate == pytest.approx(bias.prob[ID[name]], abs=0.01)


def test_biased_world_keeps_the_scenes_and_changes_labels():
    plain = sample_synthvg_world('tiny', seed=3, num_train=80)
    biased = sample_synthvg_world(
        'tiny', seed=3, num_train=80, annotation_bias=0.9)
    bias = annotation_bias_model(0.9, 0.5, 80.0)
    changed = 0
    for a, b in zip(plain, biased):
        np.testing.assert_array_equal(a.boxes, b.boxes)
        np.testing.assert_array_equal(a.labels, b.labels)
        np.testing.assert_array_equal(a.relations[:, :2], b.relations[:, :2])
        diff = a.relations[:, 2] != b.relations[:, 2]
        np.testing.assert_array_equal(b.relations[diff, 2],
                                      bias.parent[a.relations[diff, 2]])
        changed += diff.sum()
    assert changed > 0
    # In train and test alike.
    for split in (0, 2):
        assert any((a.relations[:, 2] != b.relations[:, 2]).any()
                   for a, b in zip(plain, biased) if a.split == split)


def test_annotation_bias_parameters_are_checked():
    assert resolve_synthvg_params('tiny')['annotation_bias'] == 0.0
    with pytest.raises(ValueError, match='annotation_bias'):
        resolve_synthvg_params('tiny', annotation_bias=1.5)
    with pytest.raises(ValueError, match='annotation_bias_exponent'):
        resolve_synthvg_params('tiny', annotation_bias_exponent=-1.0)
