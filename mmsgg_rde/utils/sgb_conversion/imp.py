"""The benchmark's IMPPredictor to our IMP context and classifier."""
from typing import Dict, List, Tuple

from torch import Tensor

from ._rules import Rule, Skip, apply_rules

__all__ = ['convert_imp_predictor']

_CTX = r'predictor\.context_layer\.'

#: Benchmark names and ours.
RENAMES = {
    'obj_unary': 'obj_proj',
    'edge_unary': 'edge_proj',
    'sub_vert_w_fc': 'sub_gate',
    'obj_vert_w_fc': 'obj_gate',
    'out_edge_w_fc': 'out_gate',
    'in_edge_w_fc': 'in_gate',
}

RULES: List[Rule] = [
    (_CTX + r'(obj_unary|edge_unary|node_gru|edge_gru)\.(\w+)',
     'context.{0}.{1}', 'same'),
    (_CTX + r'(sub_vert_w_fc|obj_vert_w_fc|out_edge_w_fc|in_edge_w_fc)\.0\.'
     r'(\w+)', 'context.{0}.{1}', 'same'),
    (_CTX + r'obj_fc\.(\w+)', 'context.obj_classifier.{0}', 'classes'),
    (_CTX + r'rel_fc\.(\w+)', 'rel_classifier.{0}', 'same'),
    (r'predictor\.up_dim\.(\w+)', 'context.up_dim.{0}', 'same'),
]


def convert_imp_predictor(relation_state: Dict[str, Tensor]
                          ) -> Tuple[Dict[str, Tensor], List[str]]:
    """Convert the ``predictor.*`` tensors of a benchmark IMP head.

    Targets: ``context.*`` (:class:`~mmsgg_rde.models.layers.IMPContext`)
    and ``rel_classifier.*`` (the benchmark's ``rel_fc``, on the final edge
    states). IMP has no frequency bias. The object classifier gets
    background last.

    Args:
        relation_state (dict[str, Tensor]): See
            :func:`~mmsgg_rde.utils.sgb_conversion.convert_vctree_predictor`.

    Returns:
        tuple[dict[str, Tensor], list[str]]: Our tensors and notes.
    """
    skips: List[Skip] = []
    return apply_rules(relation_state, RULES, skips, 'IMPPredictor', RENAMES)
