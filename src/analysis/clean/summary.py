"""What an analyst reads after cleaning: rows per kind, the accounting per file, quarantine grouped by reason."""
from __future__ import annotations

import re
from pathlib import PurePosixPath

import polars as pl

from analysis.names import fold


def accounting(manifest: dict) -> pl.DataFrame:
    """One row per input file: rows read and where each went."""
    rows = [{"file": f["path"], "kinds": ", ".join(f["kinds"]), "read": f["rows_read"], "kept": f["kept"],
             "quarantined": f["quarantined"], "non_data": sum(f["non_data"].values()), "superseded": f["superseded"],
             "not_cleaned": f["not_cleaned"], "elsewhere": f.get("elsewhere", 0), "submitted": f.get("submitted"),
             "rule": f.get("submitted_rule"), "problem": f.get("error")} for f in manifest["inputs"]]
    return pl.DataFrame(rows, infer_schema_length=None).sort("file")


# The month a file's name (or folder) says it reports: "..._2024-10.xlsx", "T10-2024", "thang 10 nam 2024", "10.2024"
_PATH_MONTH = (re.compile(r"(?<!\d)(20\d{2})[-_. ](0?[1-9]|1[0-2])(?!\d)"),
               re.compile(r"(?<![\da-z])(?:t|thang[-_ ]?)?(0?[1-9]|1[0-2])[-_. ](?:nam[-_ ]?)?(20\d{2})(?!\d)"))


def month_in_path(path: str) -> str | None:
    """YYYY-MM named by a raw file's name, else by its folders (the innermost first), or None."""
    for part in reversed(PurePosixPath(fold(path)).parts):
        for i, pattern in enumerate(_PATH_MONTH):
            if m := pattern.search(part):
                year, month = (m[1], m[2]) if i == 0 else (m[2], m[1])
                return f"{year}-{int(month):02d}"
    return None


def months_unread(manifest: dict) -> dict[str, list[str]]:
    """Month -> its files, for each month whose every file (by the month its name states) could not be read: the
    month's figures are missing for that reason, which validation alone would report as a month not sent."""
    by_month: dict[str, list[dict]] = {}
    for f in manifest["inputs"]:
        if (month := month_in_path(f["path"])) is not None:
            by_month.setdefault(month, []).append(f)
    return {m: sorted(f["path"] for f in files) for m, files in sorted(by_month.items())
            if all(f.get("error") for f in files)}


def not_read(manifest: dict, shown: int = 5) -> str:
    """The files cleaning could not read, and why, for the last line an operator sees ('' when none); and the
    months left with no readable file at all."""
    bad = sorted((f["path"], f["error"]) for f in manifest["inputs"] if f.get("error"))
    if not bad:
        return ""
    listed = "; ".join(f"{path} ({why})" for path, why in bad[:shown])
    more = f"; and {len(bad) - shown} more (see manifest.json)" if len(bad) > shown else ""
    return f"{len(bad)} file{'s' if len(bad) > 1 else ''} could not be read: {listed}{more}" + "".join(
        f"; {line}" for line in month_lines(manifest))


def month_lines(manifest: dict) -> list[str]:
    """One sentence per month whose only files could not be read."""
    return [f"{month} has no readable file ({len(files)} sent, none read: {', '.join(files)}), so its figures are "
            f"missing" for month, files in months_unread(manifest).items()]


def by_kind(manifest: dict) -> pl.DataFrame:
    """Files and rows per kind: what was read, kept, quarantined, dropped as non-data, replaced."""
    acc = accounting(manifest).with_columns(kind=pl.when(pl.col("kinds") == "").then(pl.lit("(not recognised)"))
                                            .otherwise(pl.col("kinds")))
    return (acc.group_by("kind").agg(files=pl.len(), read=pl.col("read").sum(), kept=pl.col("kept").sum(),
                                     quarantined=pl.col("quarantined").sum(), non_data=pl.col("non_data").sum(),
                                     superseded=pl.col("superseded").sum(), elsewhere=pl.col("elsewhere").sum())
            .sort("read", descending=True))


def reasons(quarantine: pl.DataFrame) -> pl.DataFrame:
    """Quarantined rows grouped by the kind of reason (quoted values and numbers folded), with one example."""
    shape = (pl.col("reason").str.replace_all(r"'[^']*'", "'…'").str.replace_all(r"-?\d+(?:\.\d+)?", "N"))
    return (quarantine.with_columns(why=shape)
            .group_by("kind", "column", "why")
            .agg(rows=pl.len(), files=pl.col("source_file").n_unique(), example=pl.col("reason").first(),
                 at=pl.format("{} row {}", pl.col("source_file").first(), pl.col("row_number").first()))
            .sort("rows", descending=True))
