from mmsgg_rde.datasets.synthvg import CLASS_STYLES, PALETTE, SHAPES, TEXTURES


def test_class_styles_are_distinct():
    looks = [(s.shape, s.color, s.texture) for s in CLASS_STYLES.values()]
    assert len(set(looks)) == len(looks)
    for style in CLASS_STYLES.values():
        assert style.shape in SHAPES and style.texture in TEXTURES
        assert style.color in PALETTE
        assert 0 < style.aspect[0] <= style.aspect[1]
