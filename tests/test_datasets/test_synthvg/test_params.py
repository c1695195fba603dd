import pytest

from mmsgg_rde.datasets.synthvg import SYNTHVG_PRESETS, resolve_synthvg_params


def test_bad_parameters_name_the_fix():
    with pytest.raises(ValueError, match='unknown size "huge"'):
        resolve_synthvg_params('huge')
    with pytest.raises(ValueError, match='num_tran'):
        resolve_synthvg_params('tiny', num_tran=3)
    with pytest.raises(ValueError, match='image_size_range'):
        resolve_synthvg_params('tiny', image_size_range=(90, 60))
    with pytest.raises(ValueError, match='min_id_range'):
        resolve_synthvg_params('tiny', min_id_range=100)
    assert resolve_synthvg_params(
        'tiny', image_size_range=[70, 80])['image_size_range'] == (70, 80)


def test_presets_are_sized_as_documented():
    assert set(SYNTHVG_PRESETS) == {'tiny', 'default'}
    tiny = resolve_synthvg_params('tiny')
    default = resolve_synthvg_params('default')
    assert (tiny['num_train'], tiny['num_test']) == (40, 20)
    assert (default['num_train'], default['num_test']) == (1500, 300)
    assert default['image_size_range'] == (128, 256)
