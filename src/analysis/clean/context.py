"""What every kind's cleaner shares: the area and hamlet resolvers, today's month, the tables read, and
column parsers that resolve places and periods once per distinct text."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from analysis.clean import values
from analysis.clean.columns import Parsed, mapped
from analysis.clean.hamlets import HamletResolver
from analysis.clean.parse import date_in_title, parse_period
from analysis.clean.resolve import AreaResolver
from analysis.clean.tables import Table
from analysis.periods import month_index

BTS_RADIUS_M = 50.0  # sites of different operators closer than this stand on one position


@dataclass
class Context:
    areas: AreaResolver
    today: date
    tables: list[Table]
    bounds: tuple[float, float, float, float] = (-90.0, 90.0, -180.0, 180.0)  # lat min, max, lon min, max
    bts_radius_m: float = BTS_RADIUS_M
    hamlets: HamletResolver | None = None
    fuzzy: Counter = field(default_factory=Counter)     # (text, code, how) -> rows matched approximately
    file_notes: dict[str, dict] = field(default_factory=dict)

    def title_date(self, t: int, *, any_date: bool = False) -> date | None:
        """The date in a title line of table `t`: 'Ngày 05/11/2024' (sent), or with `any_date` also
        'ĐẾN 31/10/2024' (as at)."""
        for line in self.tables[t].titles:
            found = date_in_title(line, any_date=any_date)
            if found:
                return found
        return None

    def column(self, d: pl.DataFrame, name: str) -> pl.Series:
        """A canonical column, or an all-empty one when no table of this kind had it."""
        return d[name].cast(pl.String) if name in d.columns else pl.Series(name, [None] * d.height, dtype=pl.String)

    def period(self, d: pl.DataFrame, name: str = "period") -> Parsed:
        p = mapped(self.column(d, name), parse_period, pl.Date)
        now = month_index(self.today)
        future = pl.DataFrame({"v": p.value, "e": p.error}).select(
            pl.when(p.value.is_not_null() & (pl.col("v").dt.year() * 12 + pl.col("v").dt.month() - 1 > now))
            .then(pl.format("period {} is in the future", pl.col("v").dt.strftime("%Y-%m"))).otherwise("e"))
        return Parsed(p.value, future.to_series().alias(name))

    def operator(self, d: pl.DataFrame) -> Parsed:
        return mapped(self.column(d, "operator"), values.operator, pl.String)

    def communes(self, d: pl.DataFrame, district: str = "district", commune: str = "commune"
                 ) -> tuple[pl.Series, pl.Series, pl.Series]:
        """(commune code, district code, error) per row, each distinct (province, district, commune) text resolved
        once; an approximate match is counted in `fuzzy` so the manifest lists it."""
        pairs = pl.DataFrame({"p": self.column(d, "province"), "d": self.column(d, district),
                              "c": self.column(d, commune)})
        distinct = pairs.unique()
        rows = []
        for pt, dt, ct in distinct.iter_rows():
            code, parent, how = self.areas.commune(dt, ct, pt)
            rows.append((code, parent, None if code else how, how))
        res = distinct.with_columns(
            pl.Series("code", [r[0] for r in rows], dtype=pl.String),
            pl.Series("parent", [r[1] for r in rows], dtype=pl.String),
            pl.Series("error", [r[2] for r in rows], dtype=pl.String),
            pl.Series("how", [r[3] for r in rows], dtype=pl.String))
        joined = pairs.join(res, on=["p", "d", "c"], how="left", nulls_equal=True, maintain_order="left")
        for pt, dt, ct, code, how, n in (joined.filter(pl.col("how").str.starts_with("fuzzy"))
                                         .group_by("p", "d", "c", "code", "how").len().iter_rows()):
            self.fuzzy[(" / ".join(x for x in (pt, dt, ct) if x), code, how)] += n
        return joined["code"], joined["parent"], joined["error"].alias(commune)

    def hamlet_codes(self, communes: pl.Series, names: pl.Series) -> tuple[pl.Series, pl.Series]:
        pairs = pl.DataFrame({"c": communes, "h": names})
        distinct = pairs.unique()
        if self.hamlets is None:
            out = [(None, "no hamlet registry among the raw files, so hamlets cannot be resolved")] * distinct.height
        else:
            out = [self.hamlets.resolve(c, h) if c else (None, None) for c, h in distinct.iter_rows()]
        res = distinct.with_columns(pl.Series("code", [o[0] for o in out], dtype=pl.String),
                                    pl.Series("error", [None if o[0] else o[1] for o in out], dtype=pl.String))
        joined = pairs.join(res, on=["c", "h"], how="left", nulls_equal=True, maintain_order="left")
        return joined["code"], joined["error"].alias("hamlet")

