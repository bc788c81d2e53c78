"""The calibration pools shared between the partitions of a national run (clean/partition.py).

An area's model, back-test and projection depend on its own series alone, but its 80% interval comes from a pool
of every area's back-test errors (calibration.py), and the out-of-sample coverage from every province's and
district's. A partition judged on its own pools alone would give other intervals than the whole run. So each
partition writes its errors (`pool_errors.parquet`, `pool_backtests.parquet`), and a second pass judges it with
its own errors and every other partition's: the union of the partitions' tables is then the whole run's.

Errors are keyed by the call of the engine that made them (the judgement, then each hindcast origin, in an order
fixed by the target set) and the indicator, so the pools of the same call are joined across partitions.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from analysis.errors import AnalysisError

FILES = {"errors": "pool_errors.parquet", "stored": "pool_backtests.parquet"}


class Pools:
    """The errors this partition's calls made (to be written) and the other partitions' (read), per call."""

    def __init__(self, others: list[Path] | None = None) -> None:
        self.calls = 0
        self.made: dict[str, list[pl.DataFrame]] = {"errors": [], "stored": []}
        self.others = {k: _read(others, name) for k, name in FILES.items()} if others else None

    def begin(self) -> int:
        """A new call of the engine: its number."""
        self.calls += 1
        return self.calls

    def join(self, call: int, as_of: date, indicator: str, errors: pl.DataFrame, stored: pl.DataFrame
             ) -> tuple[pl.DataFrame, pl.DataFrame]:
        """This call's errors of the indicator kept to be written; returned with the other partitions' added
        (stored rows marked `_own`, so that the back-test table keeps this partition's areas only)."""
        tag = {"call": pl.lit(call, pl.Int32), "as_of": pl.lit(as_of, pl.Date), "indicator_id": pl.lit(indicator)}
        if errors.height:
            self.made["errors"].append(errors.with_columns(**tag))
        if stored.height:
            self.made["stored"].append(stored.with_columns(**tag))
        stored = stored.with_columns(_own=pl.lit(True)) if stored.height else stored
        if self.others is None:
            return errors, stored
        mine = (pl.col("call") == call) & (pl.col("indicator_id") == indicator)
        more_errors = self.others["errors"].filter(mine)
        when = set(more_errors["as_of"]) if more_errors.height else set()
        if when - {as_of}:   # the same call of the engine must judge the same month in every partition
            raise AnalysisError(f"the partitions were judged as of other months ({', '.join(sorted(map(str, when)))}) "
                                f"than this one ({as_of}): give every pass the same --as-of")
        more_errors = more_errors.drop("call", "as_of")
        more_stored = self.others["stored"].filter(mine).drop("call", "as_of", strict=False)
        more_stored = more_stored.with_columns(_own=pl.lit(False)) if more_stored.height else more_stored
        if more_errors.height:
            errors = pl.concat([errors, more_errors.select(errors.columns)]) if errors.height else more_errors
        if more_stored.height:
            stored = pl.concat([stored, more_stored], how="diagonal_relaxed") if stored.height else more_stored
        return errors, stored

    def write(self, processed: Path) -> None:
        for k, name in FILES.items():
            frames = self.made[k]
            (pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()).write_parquet(processed / name)


def _read(folders: list[Path], name: str) -> pl.DataFrame:
    missing = [str(f) for f in folders if not (f / name).exists()]
    if missing:
        raise AnalysisError(f"no {name} in {', '.join(missing)}: judge every partition once on its own first "
                            "(python -m analysis trajectories --processed FOLDER)")
    frames = [pl.read_parquet(f / name) for f in folders]
    frames = [f for f in frames if f.height]
    return pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame(
        schema={"call": pl.Int32, "as_of": pl.Date, "indicator_id": pl.String})
