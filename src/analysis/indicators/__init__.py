"""The plan indicators of TARGETS.md: one module per family of sources, `formulas` naming them for the
indicators' files (config/indicators/), `engine` to compute them all."""
from analysis.indicators.engine import compute, definitions, run

__all__ = ["compute", "definitions", "run"]
