"""The relation head parity tests reuse the context encoders' parity
helpers (``tests/test_models/test_layers/context_parity.py``)."""
import os.path as osp
import sys

sys.path.insert(
    0, osp.join(osp.dirname(osp.abspath(__file__)), '..', 'test_layers'))
