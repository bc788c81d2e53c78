"""Where the project's own files are: computed once, here (the package lives in src/analysis of the project)."""
from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parents[1]
CONFIG = ROOT / "config"
NOTEBOOKS = ROOT / "notebooks"
EXPECTATIONS = ROOT / "expectations"
TEMPLATES = PACKAGE / "templates"
LOCALE = PACKAGE / "locale"
CACHE = ROOT / ".cache"   # what is rebuilt when missing (samples, charts, the Vega bundle); never committed


def project_path(p: Path | str) -> Path:
    """A path as written in a configuration file: relative ones are the project's, wherever the command starts."""
    p = Path(p).expanduser()
    return (p if p.is_absolute() else ROOT / p).resolve()
