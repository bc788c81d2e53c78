"""The plan indicators of TARGETS.md: one module per family of sources, `engine` to compute them all."""
from analysis.indicators.engine import DEFINITIONS, compute, run
from analysis.indicators.subscriptions import households_fiber

__all__ = ["DEFINITIONS", "compute", "run", "households_fiber"]
