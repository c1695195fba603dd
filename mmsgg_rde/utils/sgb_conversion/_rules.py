"""Rule tables that map the benchmark's relation predictor tensors to ours.

A converter lists ``(pattern, template, layout)`` rules over the keys of the
benchmark's relation head (``predictor.*``, relative to
``roi_heads.relation.``) and ``(pattern, reason)`` skips; :func:`apply_rules`
pops every ``predictor.*`` tensor it maps or skips and fails on any other
``predictor.*`` tensor, leaving the feature extractors' tensors to their
own converter.

The benchmark's (C + 1)-way class layers put background first (class ``i``
at row ``i + 1``); ours put it last, as mmdet, so those rows move.
"""
import math
import re
from typing import Callable, Dict, List, Mapping, Sequence, Tuple

import torch
from torch import Tensor

__all__ = ['Rule', 'Skip', 'apply_rules']

#: (pattern of a benchmark key, our key template, layout of the tensor).
#: Template fields ``{0}``, ``{1}``... are the pattern's groups, renamed
#: through the converter's ``renames``.
Rule = Tuple[str, str, str]
#: (pattern of a benchmark key, why it is not converted).
Skip = Tuple[str, str]


def _background_last(tensor: Tensor) -> Tensor:
    """Rows (background, classes) to (classes, background)."""
    return torch.roll(tensor, -1, dims=0)


def _class_count(rows: int) -> int:
    """C + 1 from the (C + 1)^2 rows of a class-pair table."""
    num = math.isqrt(rows)
    if num * num != rows:
        raise ValueError(f'a class-pair table has {rows} rows, not the '
                         'square of a class count.')
    return num


def _pair_rows(tensor: Tensor) -> Tensor:
    """A ((C + 1)^2, P) table over (subject, object) class pairs, background
    moved last in both classes."""
    num = _class_count(tensor.size(0))
    table = torch.roll(tensor.view(num, num, -1), (-1, -1), dims=(0, 1))
    return table.reshape(tensor.shape)


def _pair_matrix(tensor: Tensor) -> Tensor:
    """A (1, (C + 1)^2) class-pair row to a (C + 1, C + 1) matrix,
    background last."""
    num = _class_count(tensor.numel())
    return torch.roll(tensor.view(num, num), (-1, -1), dims=(0, 1))


def _decoder_embedding(tensor: Tensor) -> Tensor:
    """Rows ('start', background, classes) to (classes, background,
    'start')."""
    return torch.cat([tensor[2:], tensor[1:2], tensor[:1]])


def _conv1x1(tensor: Tensor) -> Tensor:
    """A (out, in, 1) 1x1 Conv1d weight to a Linear (out, in) weight."""
    return tensor[..., 0] if tensor.dim() == 3 else tensor


LAYOUTS: Dict[str, Callable[[Tensor], Tensor]] = {
    'same': lambda t: t,
    'classes': _background_last,
    'pair_rows': _pair_rows,
    'pair_matrix': _pair_matrix,
    'decoder_embed': _decoder_embedding,
    'conv1x1': _conv1x1,
}


def apply_rules(source: Dict[str, Tensor],
                rules: Sequence[Rule],
                skips: Sequence[Skip],
                predictor: str,
                renames: Mapping[str, str] = {}
                ) -> Tuple[Dict[str, Tensor], List[str]]:
    """Convert (and pop) the ``predictor.*`` tensors of ``source``.

    Args:
        source (dict[str, Tensor]): The benchmark's relation head tensors,
            keys relative to ``roi_heads.relation.``; modified in place.
        rules (Sequence[Rule]): Mapping rules, first match wins.
        skips (Sequence[Skip]): Tensors deliberately not converted.
        predictor (str): The benchmark predictor's name, for messages.
        renames (Mapping[str, str]): Renames of matched groups.

    Returns:
        tuple[dict[str, Tensor], list[str]]: Our tensors (keys relative to
        the relation head) and one note per skipped tensor.
    """
    converted, notes = {}, []
    for key in [k for k in source if k.startswith('predictor.')]:
        for pattern, reason in skips:
            if re.fullmatch(pattern, key):
                notes.append(f'roi_heads.relation.{key}: {reason}')
                source.pop(key)
                break
        else:
            for pattern, template, layout in rules:
                match = re.fullmatch(pattern, key)
                if match:
                    groups = [renames.get(g, g) for g in match.groups()]
                    converted[template.format(
                        *groups)] = LAYOUTS[layout](source.pop(key)).clone()
                    break
            else:
                raise ValueError(
                    f'roi_heads.relation.{key} is not a tensor of the '
                    f"benchmark's {predictor} (as configured by "
                    'configs/e2e_relation_X_101_32_8_FPN_1x.yaml); convert a '
                    f'{predictor} checkpoint.')
    return converted, notes
