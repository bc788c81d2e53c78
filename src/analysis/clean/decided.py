"""Answers decided once a run and kept: a place name's code (`AreaResolver`), a hamlet's (`Context`).

Each distinct key row is decided in Python once, kept as a frame, and later batches join their key rows to it,
deciding only the rows never seen (what that saves nationally: each user's docstring).
"""
from __future__ import annotations

import threading
from typing import Callable

import polars as pl


class Decided:
    """The key rows decided so far, with their answers (`schema`: the key columns `keys`, then the answers')."""

    def __init__(self, keys: list[str], schema: dict[str, pl.DataType]) -> None:
        self.keys, self.schema = keys, schema
        self.frame = pl.DataFrame(schema=schema)
        self._lock = threading.Lock()

    def answers(self, distinct: pl.DataFrame, decide: Callable[[pl.DataFrame], pl.DataFrame]) -> pl.DataFrame:
        """`distinct` (key rows, each once) with their answers: the rows decided before as they were, the others
        given to `decide` (the new key rows -> the same rows with the answer columns) and kept. Batches are parsed
        on two threads: a row the other thread decided meanwhile is kept once."""
        with self._lock:
            kept = self.frame
        new = distinct.join(kept, on=self.keys, how="anti", nulls_equal=True)
        if new.height:
            new = decide(new).select([pl.col(n).cast(t) for n, t in self.schema.items()])
            with self._lock:
                kept = self.frame
                self.frame = kept = pl.concat([kept, new.join(kept, on=self.keys, how="anti", nulls_equal=True)])
        return distinct.join(kept, on=self.keys, how="left", nulls_equal=True, maintain_order="left")
