"""What every kind's cleaner shares: the area and hamlet resolvers, today's month, the tables read, and
column parsers that resolve places and periods once per distinct text."""
from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

import polars as pl

from analysis.areas import REFORM_VALID_FROM
from analysis.clean import values
from analysis.clean.columns import Parsed, mapped
from analysis.clean.decided import Decided
from analysis.clean.hamlets import HamletResolver
from analysis.clean.parse import date_in_title, parse_period
from analysis.clean.resolve import AreaResolver
from analysis.clean.tables import Table
from analysis.periods import month_index, month_index_of

BTS_RADIUS_M = 50.0  # sites of different operators closer than this stand on one position


HAMLET_KEYS = ["c", "h", "new"]
HAMLET_DECIDED = {"c": pl.String, "h": pl.String, "new": pl.Boolean, "code": pl.String, "error": pl.String}


class Places(NamedTuple):
    code: pl.Series       # the commune (or 2025 unit) code
    district: pl.Series   # its district code; null for a unit of 1 July 2025
    error: pl.Series      # why a row's place was not found
    province: pl.Series   # its province code (the merged province for a 2025 unit)


@dataclass
class Context:
    areas: AreaResolver
    today: date
    tables: list[Table]
    bounds: tuple[float, float, float, float] = (-90.0, 90.0, -180.0, 180.0)  # lat min, max, lon min, max
    bts_radius_m: float = BTS_RADIUS_M
    hamlets: HamletResolver | None = None
    fuzzy: Counter = field(default_factory=Counter)     # (file, text, code, how) -> rows matched approximately
    file_notes: dict[str, dict] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # The units of 1 July 2025 (`AreaResolver.reformed`) and, for each, the old communes it was formed from.
    reformed: AreaResolver | None = None
    formed_from: dict[str, list[str]] = field(default_factory=dict)
    # Old provinces in the department's area only from the reform (Bắc Kạn): a monthly row placed in one before
    # July 2025 came from a file that could not have covered it then, so it is quarantined, not counted.
    joined: frozenset[str] = frozenset()
    # The registry hamlet rows were decided with, and those rows (`_hamlets_decided`).
    _hamlet_memo: tuple = (None, None)

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
            pl.when(p.value.is_not_null() & (month_index_of(pl.col("v")) > now))
            .then(pl.format("period {} is in the future", pl.col("v").dt.strftime("%Y-%m"))).otherwise("e"))
        return Parsed(p.value, future.to_series().alias(name))

    def operator(self, d: pl.DataFrame) -> Parsed:
        return mapped(self.column(d, "operator"), values.operator, pl.String)

    def communes(self, d: pl.DataFrame, district: str = "district", commune: str = "commune",
                 period: pl.Series | None = None) -> Places:
        """(commune code, district code, error, province code) per row. From 1 July 2025 (`period`), a row with
        no district is looked up among the units of that date first (no district level), and then among the
        older ones, since an operator may go on using the old names: a row found among the new units has no
        district code, so a commune code is never read in the wrong geography."""
        rows = pl.DataFrame({"p": self.column(d, "province"), "d": self.column(d, district),
                             "c": self.column(d, commune),
                             "t": d["_t"] if "_t" in d.columns else pl.repeat(-1, d.height, dtype=pl.Int32, eager=True)})
        code, parent, error = self._resolve(rows, self.areas)
        province = self.areas.province_of(parent)
        if self.reformed is not None and period is not None:
            since = ((period >= REFORM_VALID_FROM) & rows["d"].is_null()).fill_null(False).arg_true()
            if len(since):
                new_code, new_province, new_error = self._resolve(rows[since], self.reformed)
                found = since.filter(new_code.is_not_null())
                code = code.scatter(found, new_code.drop_nulls())
                province = province.scatter(found, new_province.filter(new_code.is_not_null()))
                parent = parent.scatter(found, None)
                error = error.scatter(found, None)
                # A name two new units share (Văn Lăng and Văn Lang, written without marks) is not read as an old
                # unit that happens to be unique: which new unit is meant cannot be known.
                ambiguous = new_code.is_null() & new_error.str.contains("ambiguous").fill_null(False)
                unclear = since.filter(ambiguous)
                code, parent, province = (s.scatter(unclear, None) for s in (code, parent, province))
                error = error.scatter(unclear, new_error.filter(ambiguous))
        if self.joined and period is not None:
            early = (province.is_in(list(self.joined)) & (period < REFORM_VALID_FROM)).fill_null(False)
            if early.any():
                at = early.arg_true()
                why = pl.select(pl.format("commune '{}' lies in province {}, which joined this one only on "
                                          "1 July 2025", rows["c"], province)).to_series()
                code, parent = code.scatter(at, None), parent.scatter(at, None)
                error = error.scatter(at, why.gather(at))
        return Places(code, parent, error.alias(commune), province)

    def _resolve(self, rows: pl.DataFrame, a: AreaResolver) -> tuple[pl.Series, pl.Series, pl.Series]:
        """(code, parent, error) per row of (p, d, c) texts, by resolver `a` (`AreaResolver.resolve`); an
        approximate match is counted in `fuzzy` so the manifest lists it."""
        joined = a.resolve(rows.select("p", "d", "c")).with_columns(rows["t"])
        fuzzy = (joined.filter(pl.col("how").str.starts_with("fuzzy"))
                 .group_by("t", "p", "d", "c", "code", "how").len().iter_rows())
        with self.lock:  # batches are parsed on two threads
            for t, pt, dt, ct, code, how, n in fuzzy:   # by file, so a file's matches can be kept with it
                file = self.tables[t].file if t >= 0 else None
                self.fuzzy[(file, " / ".join(x for x in (pt, dt, ct) if x), code, how)] += n
        return joined["code"], joined["parent"], joined["error"]

    def hamlet_codes(self, communes: pl.Series, names: pl.Series, districts: pl.Series | None = None
                     ) -> tuple[pl.Series, pl.Series]:
        """(hamlet code, error) per row; a row placed in a unit of 1 July 2025 (no district) is looked up in the
        old communes the unit was formed from."""
        new = districts.is_null() if districts is not None else pl.repeat(False, len(communes), eager=True)
        pairs = pl.DataFrame({"c": communes, "h": names, "new": new.fill_null(False)},
                             schema={k: HAMLET_DECIDED[k] for k in HAMLET_KEYS})
        joined = pairs.join(self._hamlets_decided(pairs.unique()), on=HAMLET_KEYS, how="left", nulls_equal=True,
                            maintain_order="left")
        return joined["code"], joined["error"].alias("hamlet")

    def _hamlets_decided(self, distinct: pl.DataFrame) -> pl.DataFrame:
        """Distinct (commune, hamlet text, in a unit of 2025) -> code, error; each decided once per hamlet registry
        and kept (`Decided`): the national coverage reports hold 870,000 such rows over their seven batches, and
        resolving each in Python took 5.4 s. Another registry (a run whose registry changed) starts afresh."""
        with self.lock:
            owner, decided = self._hamlet_memo
            if decided is None or owner is not self.hamlets:
                decided = Decided(HAMLET_KEYS, HAMLET_DECIDED)
                self._hamlet_memo = (self.hamlets, decided)
        return decided.answers(distinct, self._decide_hamlets)

    def _decide_hamlets(self, todo: pl.DataFrame) -> pl.DataFrame:
        if self.hamlets is None:
            out = [(None, "no hamlet registry among the raw files, so hamlets cannot be resolved")] * todo.height
        else:
            out = [(None, None) if not c else
                   self.hamlets.resolve_among(self.formed_from.get(c, [c]), c, h) if is_new else
                   self.hamlets.resolve(c, h) for c, h, is_new in todo.iter_rows()]
        return todo.with_columns(pl.Series("code", [o[0] for o in out], dtype=pl.String),
                                 pl.Series("error", [None if o[0] else o[1] for o in out], dtype=pl.String))
