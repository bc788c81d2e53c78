"""What an analyst reads after cleaning: rows per kind, the accounting per file, quarantine grouped by reason."""
from __future__ import annotations

import polars as pl


def accounting(manifest: dict) -> pl.DataFrame:
    """One row per input file: rows read and where each went."""
    rows = [{"file": f["path"], "kinds": ", ".join(f["kinds"]), "read": f["rows_read"], "kept": f["kept"],
             "quarantined": f["quarantined"], "non_data": sum(f["non_data"].values()), "superseded": f["superseded"],
             "not_cleaned": f["not_cleaned"], "submitted": f.get("submitted"), "rule": f.get("submitted_rule"),
             "problem": f.get("error")} for f in manifest["inputs"]]
    return pl.DataFrame(rows, infer_schema_length=None).sort("file")


def not_read(manifest: dict, shown: int = 5) -> str:
    """The files cleaning could not read, and why, for the last line an operator sees ('' when none)."""
    bad = sorted((f["path"], f["error"]) for f in manifest["inputs"] if f.get("error"))
    if not bad:
        return ""
    listed = "; ".join(f"{path} ({why})" for path, why in bad[:shown])
    more = f"; and {len(bad) - shown} more (see manifest.json)" if len(bad) > shown else ""
    return f"{len(bad)} file{'s' if len(bad) > 1 else ''} could not be read: {listed}{more}"


def by_kind(manifest: dict) -> pl.DataFrame:
    """Files and rows per kind: what was read, kept, quarantined, dropped as non-data, replaced."""
    acc = accounting(manifest).with_columns(kind=pl.when(pl.col("kinds") == "").then(pl.lit("(not recognised)"))
                                            .otherwise(pl.col("kinds")))
    return (acc.group_by("kind").agg(files=pl.len(), read=pl.col("read").sum(), kept=pl.col("kept").sum(),
                                     quarantined=pl.col("quarantined").sum(), non_data=pl.col("non_data").sum(),
                                     superseded=pl.col("superseded").sum())
            .sort("read", descending=True))


def reasons(quarantine: pl.DataFrame) -> pl.DataFrame:
    """Quarantined rows grouped by the kind of reason (quoted values and numbers folded), with one example."""
    shape = (pl.col("reason").str.replace_all(r"'[^']*'", "'…'").str.replace_all(r"-?\d+(?:\.\d+)?", "N"))
    return (quarantine.with_columns(why=shape)
            .group_by("kind", "column", "why")
            .agg(rows=pl.len(), files=pl.col("source_file").n_unique(), example=pl.col("reason").first(),
                 at=pl.format("{} row {}", pl.col("source_file").first(), pl.col("row_number").first()))
            .sort("rows", descending=True))
