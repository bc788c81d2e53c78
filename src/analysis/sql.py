"""SQL over the processed tables: DuckDB reads each Parquet file where it lies (a view per table; no copy, no
server). `python -m analysis sql "select …"` prints a query's answer; without a query it reads statements, each
ended by `;`, from the terminal or a pipe."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

import polars as pl

from analysis.errors import AnalysisError


def connect(processed: Path):
    """An in-memory DuckDB connection with a view per table of the folder, named as the table
    (`subscribers`, `indicators`, `status`, …)."""
    import duckdb
    tables = sorted(processed.glob("*.parquet"))
    if not tables:
        raise AnalysisError("no processed tables here: run `make report` or `python -m analysis run` first",
                            file=str(processed))
    con = duckdb.connect()
    for path in tables:
        where = str(path.resolve()).replace("'", "''")
        con.execute(f"create view \"{path.stem}\" as select * from read_parquet('{where}')")
    return con


def answer(con, query: str) -> pl.DataFrame:
    """The query's rows as a polars frame; a mistake in it is one line naming what DuckDB said."""
    import duckdb
    try:
        result = con.sql(query)
    except duckdb.Error as exc:
        raise AnalysisError(f"SQL: {str(exc).splitlines()[0]}") from None
    return result.pl() if result is not None else pl.DataFrame()


def shell(processed: Path, query: str | None = None, source: TextIO = sys.stdin, out: TextIO = sys.stdout) -> str:
    """One query answered, or statements read until the end of input: each answer printed as a table, a mistake
    printed in one line and the next statement read."""
    con = connect(processed)
    show = pl.Config(tbl_rows=50, tbl_cols=20, fmt_str_lengths=60, tbl_width_chars=160)
    if query is not None:
        with show:
            return str(answer(con, query))
    views = ", ".join(p.stem for p in sorted(processed.glob("*.parquet")))
    print(f"tables: {views}\nend each statement with ';' (Ctrl-D to leave)", file=out)
    pending, answered = "", 0
    for line in source:
        pending += line
        if not pending.rstrip().endswith(";"):
            continue
        try:
            with show:
                print(answer(con, pending), file=out)
            answered += 1
        except AnalysisError as exc:
            print(f"error: {exc.line()}", file=out)
        pending = ""
    return f"sql: {answered} statement{'s' if answered != 1 else ''} answered"
