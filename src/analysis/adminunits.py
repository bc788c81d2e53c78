"""The `vietnamadminunits` package's database, read straight from its SQLite file.

Importing the package (even `vietnamadminunits.database`) runs its `__init__`, which loads the whole address
parser: 0.65 s in every process that only needs a table of units (clean, each stage notebook, each report
kernel). The file is the package's own, found where the installed package lies, without importing it; the
package's version is pinned, and `tests/unit/test_areas.py` checks these rows are the package's `query`'s.
"""
from __future__ import annotations

import sqlite3
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path


@lru_cache(maxsize=4)
def data_file(name: str) -> Path:
    """One of the package's data files (`dataset.db`, `converter_2025.json`)."""
    spec = find_spec("vietnamadminunits")   # locates the package; does not run its __init__
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("vietnamadminunits is not installed (see environment.yml)")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / name


def query(sql: str, parameters: tuple = ()) -> list[dict]:
    """Rows of `sql` as dictionaries, as the package's `database.main.query` returns them; read-only."""
    with sqlite3.connect(data_file("dataset.db").as_uri() + "?mode=ro", uri=True) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(sql, parameters).fetchall()]
