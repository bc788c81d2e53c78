"""The same operator, kind and month sent twice: the later submission replaces the earlier one."""
from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from typing import Callable

import polars as pl

from analysis.clean.accounts import raw_rows

Stamp = tuple[date, time]


def submission_times(good: pl.DataFrame | pl.LazyFrame, raw: Path, title_date: Callable[[int], date | None]
                     ) -> dict[str, tuple[Stamp, str]]:
    """File -> ((date, time), rule): the date it states in a `submitted` column, else in a title line
    ('Ngày 05/11/2024'), else the file's modification time. `good` is a frame or a query over files."""
    files = good.lazy().group_by("source_file").agg(pl.col("_t").first(), pl.col("_submitted").max()).collect()
    out = {}
    for f, t, stated in files.iter_rows():
        if stated is not None:
            out[f] = ((stated, time.min), "submitted column")
        elif (d := title_date(t)) is not None:
            out[f] = ((d, time.min), "date in title line")
        else:
            m = datetime.fromtimestamp((raw / f).stat().st_mtime)
            out[f] = ((m.date(), m.time()), "file modification time")
    return out


def _rule(later: tuple[Stamp, str], earlier: tuple[Stamp, str], name: str, other: str) -> str:
    """Why one submission replaced the other, as the manifest says it: the later stated or modification date, or,
    when both say the same moment, the later file name (a correction is named after the original: `_bosung`,
    `-sua`, `_v2`)."""
    (stamp, how), (other_stamp, other_how) = later, earlier
    if stamp == other_stamp:
        said = how if how == other_how else f"{how} and {other_how}"
        return f"same {said} ({stamp[0]}): the later file name ({name} after {other})"
    return f"later by {how} ({stamp[0]} after {other_stamp[0]})"


def latest_only(kind: str, good: pl.DataFrame | pl.LazyFrame, when: dict[str, tuple[Stamp, str]]
                ) -> tuple[pl.DataFrame | pl.LazyFrame, list[dict]]:
    """Per operator and month, the rows of the latest file (ties: the later file name without its extension, so
    `_bosung` and `-sua` win), as a frame or a query like `good`;
    the replaced files listed with their rows, the rule and both dates."""
    groups = good.lazy().group_by("operator", "period", "source_file").agg(raw_rows(good)).collect()
    replaced, drop = [], []
    for (op, period), part in groups.group_by("operator", "period"):
        if part.height < 2:
            continue
        # Same moment: the later name, compared without the extension, so that "vnpt-sua.xlsx" (a correction
        # named after the original) comes after "vnpt.xlsx" although "-" sorts before ".".
        ranked = sorted(part["source_file"].to_list(), key=lambda f: (when[f][0], Path(f).with_suffix("").as_posix(), f))
        latest = ranked[-1]
        for f in ranked[:-1]:
            n = part.filter(pl.col("source_file") == f)["len"].item()
            replaced.append({"kind": kind, "file": f, "replaced_by": latest, "operator": op, "period": str(period),
                             "rows": n, "rule": _rule(when[latest], when[f], latest, f)})
            drop.append((op, period, f))
    if not drop:
        return good, replaced
    # The key columns as the rows hold them (text, or categories for a kind kept compact while it waits).
    schema = good.collect_schema()
    gone = pl.DataFrame(drop, schema={"operator": pl.String, "period": pl.Date, "source_file": pl.String},
                        orient="row").cast({c: schema[c] for c in ("operator", "source_file")})
    gone = gone.lazy() if isinstance(good, pl.LazyFrame) else gone
    return good.join(gone, on=["operator", "period", "source_file"], how="anti", maintain_order="left"), sorted(
        replaced, key=lambda r: (r["period"], r["operator"], r["file"]))
