"""Which keys of a table too large to hold occur more than once, in memory that does not grow with the table.

A key is found repeated by its rows' 64-bit hashes: a streaming group-by of the hashes holds every distinct one
(the national set's 20 million i-Speed test ids: about a gigabyte), so a larger table is grouped a share of the
hash space at a time, each share a pass over the table. Two keys that merely share a hash come out as one repeat
too many, which the callers tell apart on the keys themselves.
"""
from __future__ import annotations

import polars as pl

# Hashes grouped in one pass. The national set's speed tests (20 million) take one pass, as before; a table three
# times as large takes three, each holding what the one did.
BUCKET_ROWS = 25_000_000


def passes(rows: int) -> int:
    return max(1, -(-rows // BUCKET_ROWS))


def repeated_hashes(table: pl.LazyFrame, key_hash: pl.Expr, rows: int) -> pl.Series:
    """The values of `key_hash` (a UInt64 hash of the key, over `table`'s rows) that occur more than once, in
    `passes(rows)` passes over the table (`rows`: its height, or more)."""
    hashed = table.select(_h=key_hash)
    n = passes(rows)
    found = [(hashed if n == 1 else hashed.filter(pl.col("_h") % n == share))
             .group_by("_h").len().filter(pl.col("len") > 1).select("_h").collect(engine="streaming")
             for share in range(n)]
    return pl.concat(found)["_h"].sort()
