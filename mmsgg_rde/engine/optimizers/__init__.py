"""Optimizer wrapper constructors of mmsgg_rde."""
from .summary_constructor import SummaryOptimWrapperConstructor

__all__ = ['SummaryOptimWrapperConstructor']
