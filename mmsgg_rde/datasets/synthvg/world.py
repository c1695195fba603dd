"""The SynthVG world: object classes, their looks, and the predicate rules."""
from typing import Dict, NamedTuple, Tuple

__all__ = [
    'CLASS_GROUPS', 'PALETTE', 'ObjectStyle', 'CLASS_STYLES', 'SHAPES',
    'TEXTURES', 'PREDICATE_RULES', 'DUPLICATE_ALIASES', 'GENERIC_PARENTS'
]

#: Object classes of the world by group; every name is a VG-150 class.
CLASS_GROUPS: Dict[str, Tuple[str, ...]] = dict(
    person=('man', 'woman', 'boy'),
    animal=('dog', 'horse'),
    bird=('bird', ),
    clothing=('shirt', 'hat', 'jacket'),
    body_part=('hand', 'head', 'leg'),
    vehicle=('car', 'bike', 'bus'),
    furniture=('table', 'chair', 'bench'),
    ground=('street', 'sidewalk'),
    structure=('building', 'fence', 'pole'),
    plant=('tree', 'flower'),
    container=('cup', 'bottle', 'plate'),
    food=('pizza', ),
    device=('phone', 'racket'),
    signage=('sign', 'letter'),
)

#: Saturated colors, far from the muted backgrounds.
PALETTE: Dict[str, Tuple[int, int, int]] = dict(
    red=(210, 40, 40),
    green=(40, 170, 60),
    blue=(40, 80, 220),
    yellow=(240, 205, 30),
    magenta=(205, 50, 185),
    cyan=(30, 195, 210),
    orange=(245, 130, 20),
    purple=(120, 50, 195),
    brown=(135, 75, 25),
    pink=(250, 145, 175),
    lime=(165, 235, 40),
    navy=(20, 30, 115),
    teal=(0, 125, 115),
    black=(20, 20, 20),
    white=(248, 248, 248),
    maroon=(125, 15, 45),
)


class ObjectStyle(NamedTuple):
    """How a class is drawn.

    Attributes:
        shape: One of :data:`SHAPES`; the shape touches all box sides.
        color: A :data:`PALETTE` name.
        texture: One of :data:`TEXTURES`.
        aspect: (min, max) width / height of the class's boxes.
    """
    shape: str
    color: str
    texture: str
    aspect: Tuple[float, float]


#: Every class has a distinct (shape, color, texture) triple.
CLASS_STYLES: Dict[str, ObjectStyle] = dict(
    man=ObjectStyle('ellipse', 'blue', 'solid', (0.35, 0.5)),
    woman=ObjectStyle('ellipse', 'magenta', 'solid', (0.35, 0.5)),
    boy=ObjectStyle('ellipse', 'cyan', 'hstripes', (0.4, 0.55)),
    dog=ObjectStyle('octagon', 'brown', 'solid', (1.2, 1.6)),
    horse=ObjectStyle('octagon', 'maroon', 'vstripes', (1.1, 1.4)),
    bird=ObjectStyle('triangle', 'yellow', 'solid', (0.8, 1.2)),
    shirt=ObjectStyle('rect', 'red', 'hstripes', (0.8, 1.1)),
    hat=ObjectStyle('triangle', 'navy', 'solid', (1.3, 1.8)),
    jacket=ObjectStyle('rect', 'green', 'checker', (0.7, 0.9)),
    hand=ObjectStyle('ellipse', 'pink', 'solid', (0.8, 1.2)),
    head=ObjectStyle('ellipse', 'orange', 'dots', (0.75, 0.95)),
    leg=ObjectStyle('rect', 'purple', 'solid', (0.25, 0.4)),
    car=ObjectStyle('octagon', 'red', 'solid', (1.6, 2.2)),
    bike=ObjectStyle('diamond', 'lime', 'solid', (1.3, 1.7)),
    bus=ObjectStyle('rect', 'yellow', 'vstripes', (1.8, 2.6)),
    table=ObjectStyle('rect', 'brown', 'hstripes', (1.4, 2.0)),
    chair=ObjectStyle('inv_triangle', 'teal', 'solid', (0.7, 0.9)),
    bench=ObjectStyle('rect', 'orange', 'vstripes', (2.0, 3.0)),
    street=ObjectStyle('rect', 'black', 'hstripes', (3.0, 5.0)),
    sidewalk=ObjectStyle('rect', 'white', 'checker', (3.0, 5.0)),
    building=ObjectStyle('rect', 'navy', 'checker', (0.6, 1.0)),
    fence=ObjectStyle('rect', 'lime', 'vstripes', (2.5, 4.0)),
    pole=ObjectStyle('rect', 'black', 'solid', (0.2, 0.3)),
    tree=ObjectStyle('triangle', 'green', 'solid', (0.6, 0.9)),
    flower=ObjectStyle('diamond', 'pink', 'dots', (0.7, 1.0)),
    cup=ObjectStyle('rect', 'cyan', 'solid', (0.7, 0.9)),
    bottle=ObjectStyle('rect', 'teal', 'hstripes', (0.3, 0.45)),
    plate=ObjectStyle('ellipse', 'white', 'solid', (1.5, 2.0)),
    pizza=ObjectStyle('octagon', 'yellow', 'dots', (1.0, 1.3)),
    phone=ObjectStyle('rect', 'maroon', 'solid', (0.5, 0.65)),
    racket=ObjectStyle('ellipse', 'lime', 'checker', (0.5, 0.7)),
    sign=ObjectStyle('octagon', 'white', 'solid', (1.0, 1.5)),
    letter=ObjectStyle('diamond', 'navy', 'solid', (0.7, 0.9)),
)

SHAPES = ('rect', 'ellipse', 'triangle', 'inv_triangle', 'diamond', 'octagon')
TEXTURES = ('solid', 'hstripes', 'vstripes', 'checker', 'dots')

#: Every group: the general rules span all ordered class pairs.
_ALL = tuple(CLASS_GROUPS)

#: (predicate, geometry, subjects, objects); subjects and objects name groups
#: of :data:`CLASS_GROUPS` or classes. A rule labels every (geometry,
#: subject class, object class) cell it spans that no earlier rule labelled:
#: the class-specific rules come first, the general rules of the common
#: geometries last.
PREDICATE_RULES: Tuple[Tuple[str, str, Tuple[str, ...], Tuple[str, ...]],
                       ...] = (
                           ('riding', 'on_top', ('person', ), ('horse',
                                                               'bike')),
                           ('sitting on', 'on_top', ('person', ),
                            ('furniture', )),
                           ('standing on', 'on_top', ('person', 'bird'),
                            ('ground', )),
                           ('walking on', 'on_top', ('animal', ),
                            ('ground', )),
                           ('parked on', 'on_top', ('vehicle', ),
                            ('ground', )),
                           ('laying on', 'on_top', ('animal', ),
                            ('furniture', )),
                           ('lying on', 'on_top', ('container', 'clothing',
                                                   'device'), ('ground', )),
                           ('growing on', 'on_top', ('plant', ),
                            ('structure', )),
                           ('mounted on', 'on_top', ('sign', ), ('structure',
                                                                 'vehicle')),
                           ('on back of', 'on_top', ('bird', ), ('animal', )),
                           ('flying in', 'inside', ('bird', ), ('tree', )),
                           ('walking in', 'inside', ('person', 'animal'),
                            ('ground', )),
                           ('painted on', 'inside', ('letter', ),
                            ('ground', 'building', 'fence')),
                           ('on', 'inside', ('letter', ), ('sign', 'vehicle')),
                           ('wearing', 'contains', ('person', ),
                            ('clothing', )),
                           ('wears', 'contains', ('animal', 'body_part'),
                            ('clothing', )),
                           ('says', 'contains', ('sign', ), ('letter', )),
                           ('made of', 'contains', ('fence', ), ('pole', )),
                           ('covered in', 'contains', ('building', 'fence',
                                                       'tree'), ('flower', )),
                           ('with', 'contains', ('furniture', ), ('container',
                                                                  'food')),
                           ('part of', 'part', ('leg', ), ('furniture', )),
                           ('part of', 'part', ('pole', ), ('fence', )),
                           ('belonging to', 'part', ('signage', ),
                            ('vehicle', )),
                           ('over', 'above', ('bird', ), _ALL),
                           ('and', 'beside', ('person', ), ('person', )),
                           ('between', 'beside', ('pole', ), ('vehicle',
                                                              'tree')),
                           ('at', 'in_front', ('person', ), ('furniture', )),
                           ('attached to', 'touching', ('sign', 'bike'),
                            ('pole', 'fence', 'building')),
                           ('watching', 'looking', ('animal', 'bird'), _ALL),
                           ('looking at', 'looking', ('person', ), _ALL),
                           ('for', 'looking', ('sign', ), ('building', 'bus')),
                           ('to', 'looking', ('sign', ), ('ground', )),
                           ('from', 'looking', ('letter', ), ('sign',
                                                              'vehicle')),
                           ('hanging from', 'hanging', ('sign', 'clothing',
                                                        'flower', 'racket'),
                            ('pole', 'fence', 'tree', 'building')),
                           ('eating', 'holding', ('person', 'animal', 'bird'),
                            ('food', )),
                           ('using', 'holding', ('person', 'hand'),
                            ('phone', )),
                           ('playing', 'holding', ('person', ), ('racket', )),
                           ('carrying', 'holding', ('person', ), ('clothing',
                                                                  'sign')),
                           ('carrying', 'holding', ('animal', ),
                            ('container', )),
                           ('holding', 'holding', ('person', 'hand'),
                            ('container', 'racket')),
                           ('covering', 'covering', ('clothing', ),
                            ('furniture', 'body_part')),
                           ('covering', 'covering', ('plant', ),
                            ('structure', )),
                           ('across', 'across', ('letter', 'fence'),
                            ('sign', 'vehicle', 'building')),
                           ('along', 'along', ('fence', 'tree', 'bench',
                                               'pole'), ('ground', )),
                           # General rules.
                           ('on', 'on_top', _ALL, _ALL),
                           ('in', 'inside', _ALL, _ALL),
                           ('has', 'contains', _ALL, _ALL),
                           ('of', 'part', _ALL, _ALL),
                           ('above', 'above', _ALL, _ALL),
                           ('under', 'below', _ALL, _ALL),
                           ('near', 'beside', _ALL, _ALL),
                           ('in front of', 'in_front', _ALL, _ALL),
                           ('behind', 'behind', _ALL, _ALL),
                           ('against', 'touching', _ALL, _ALL),
                       )

#: A relation of these predicates may get a second one on the same pair
#: (the duplicate pairs of the real data).
DUPLICATE_ALIASES: Dict[str, str] = {
    'wearing': 'wears',
    'wears': 'wearing',
    'has': 'with',
    'with': 'has',
    'looking at': 'watching',
    'watching': 'looking at',
}

#: Annotation bias (``annotation_bias`` > 0): the generic predicate an
#: annotator may write instead of a specific one, as VG annotators write
#: "on" for "parked on". The parent of a class-specific rule's predicate is
#: the general rule of the same geometry (``on_top`` -> on, ``inside`` -> in,
#: ``contains`` -> has, ``part`` -> of, ``above`` -> above, ``beside`` ->
#: near, ``in_front`` -> in front of, ``touching`` -> against); geometries
#: without a general rule borrow the closest one (``looking``, ``along`` ->
#: near; ``hanging``, ``covering``, ``across`` -> on), and ``holding`` is
#: the generic of the other hand-held predicates. Generic predicates have
#: no parent.
GENERIC_PARENTS: Dict[str, str] = {
    'riding': 'on',
    'sitting on': 'on',
    'standing on': 'on',
    'walking on': 'on',
    'parked on': 'on',
    'laying on': 'on',
    'lying on': 'on',
    'growing on': 'on',
    'mounted on': 'on',
    'on back of': 'on',
    'hanging from': 'on',
    'covering': 'on',
    'across': 'on',
    'flying in': 'in',
    'walking in': 'in',
    'painted on': 'in',
    'wearing': 'has',
    'wears': 'has',
    'says': 'has',
    'made of': 'has',
    'covered in': 'has',
    'with': 'has',
    'part of': 'of',
    'belonging to': 'of',
    'over': 'above',
    'and': 'near',
    'between': 'near',
    'looking at': 'near',
    'watching': 'near',
    'for': 'near',
    'to': 'near',
    'from': 'near',
    'along': 'near',
    'at': 'in front of',
    'attached to': 'against',
    'eating': 'holding',
    'using': 'holding',
    'playing': 'holding',
    'carrying': 'holding',
}
