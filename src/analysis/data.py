"""The analyst's reading API: the processed tables by name, with places named, and the questions asked most.

    from analysis import data
    d = data.open()                                   # the run's processed folder, names in Vietnamese (lang="en")
    d.area("dinh hoa")                                # Huyện Định Hóa (district …, old units, before 1 July 2025)
    d.series("households_fiber", "H. Định Hóa")       # period, value, projected, lower, upper, target
    d.compare("households_fiber", ["Định Hóa", "Võ Nhai"])
    d.rank("households_fiber", "commune", "2025-12")  # the communes, best first
    d.table("subscribers").filter(...).collect()      # any table, lazily, with names and levels joined
    d.rank_chart("households_fiber")                  # Altair: click a district to see its communes
    d.sql().sql("select ...")                         # DuckDB over the same Parquet files

Areas are looked up by cleaning's own resolver, so whatever spelling a file may carry finds its unit here too:
codes, names with or without marks and unit words ("dinh hoa", "H. Định Hóa", "Huyen Dinh Hoa"). Before
1 July 2025 the province had districts and communes (`province`, `district`, `commune`); since, the merged province
and its new communes (`province_2025`, `commune_2025`). A name found in both geographies is taken in the old one
unless `geography="2025"` is asked; the `Area` says which it is in and what else the name could mean.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path

import polars as pl

from analysis import geography
from analysis.areas import PLAN_LEVELS, REFORM_LEVELS
from analysis.errors import AnalysisError
from analysis.names import fold, name_keys
from analysis.periods import parse_month

GEOGRAPHIES = {"old": "old units, before 1 July 2025", "2025": "units of 1 July 2025"}
_LEVEL_GEOGRAPHY = {**{lv: "old" for lv in PLAN_LEVELS}, **{lv: "2025" for lv in REFORM_LEVELS.values()}}
# The code columns of the cleaned tables, and the levels their codes may be at (by the row's period).
_CODE_LEVELS = {"province_code": ("province", REFORM_LEVELS["province"]), "district_code": ("district",),
                "commune_code": ("commune", REFORM_LEVELS["commune"])}


def _month(v: str | date) -> date:
    return v.replace(day=1) if isinstance(v, date) else parse_month(str(v))


class AreaNotFound(AnalysisError):
    """A name no area answers to: the message lists the nearest names."""


@dataclass(frozen=True)
class Area:
    code: str
    level: str
    name: str
    parent: str | None
    geography: str                              # "old" or "2025"
    also: tuple[str, ...] = field(default=(), compare=False)   # what else the text could name, in the other geography

    def __str__(self) -> str:
        other = f"; also {', '.join(self.also)}" if self.also else ""
        return f"{self.name} ({self.level} {self.code}, {GEOGRAPHIES[self.geography]}{other})"


def open(processed: str | Path | None = None, lang: str = "vi") -> Data:   # noqa: A001 - data.open() reads well
    """A processed folder ready to be asked: by default the run's (`processed` in config/run.yml)."""
    if processed is None:
        from analysis.run.config import load
        processed = load(None, {}).processed
    return Data(Path(processed), lang)


class Data:
    """One processed folder, read lazily: nothing is loaded until a question needs it."""

    def __init__(self, processed: Path, lang: str = "vi") -> None:
        if not (processed / "manifest.json").exists():
            raise AnalysisError("no processed tables here: run `make report` or `python -m analysis run` first",
                                file=str(processed))
        self.processed, self.lang = processed, lang

    def __repr__(self) -> str:
        return f"Data({str(self.processed)!r}: {', '.join(self.tables())})"

    # -- tables ------------------------------------------------------------------------------------------------
    def tables(self) -> list[str]:
        """The tables there are, by name (`table(name)` reads one)."""
        return sorted(p.stem for p in self.processed.glob("*.parquet"))

    def path(self, name: str) -> Path:
        p = self.processed / f"{name}.parquet"
        if not p.exists():
            raise AnalysisError(f"no table {name!r}; the tables are: {', '.join(self.tables())}",
                                file=str(self.processed))
        return p

    def table(self, name: str, *, names: bool = True, pandas: bool = False) -> pl.LazyFrame:
        """A processed table as a polars LazyFrame (a pandas DataFrame with `pandas=True`), with each place named:
        `area_name` and `parent_code` beside an `area_code` and its `area_level`; beside a `province_code`,
        `district_code` or `commune_code`, its `_name` and `_level` (the unit in force at the row's month, since
        a code of the old units may name another unit after 1 July 2025)."""
        frame = pl.scan_parquet(self.path(name))
        if names:
            frame = self._named(frame)
        return frame.collect().to_pandas() if pandas else frame

    @cached_property
    def geography(self) -> geography.Geography:
        return geography.load(self.processed)

    def _named(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        columns = frame.collect_schema().names()
        areas = self.geography.areas.lazy()
        name = f"name_{self.lang}"
        if {"area_code", "area_level"} <= set(columns):
            frame = frame.join(areas.select(area_level="level", area_code="area_code", area_name=name,
                                            parent_code="parent_code"),
                               on=["area_level", "area_code"], how="left", maintain_order="left")
        when = next((c for c in ("period", "as_of") if c in columns), None)
        for column, levels in _CODE_LEVELS.items():
            if column not in columns:
                continue
            stem = column.removesuffix("_code")
            picked = None
            # With a month, the unit in force then (the newest first); without one (population by year), the plan's
            # own units first, as `Geography.name` reads a bare code.
            for level in (reversed(levels) if when is not None else levels):
                units = areas.filter(pl.col("level") == level).select(
                    pl.col("area_code").alias(column), pl.col(name).alias(f"_{level}"),
                    pl.col("valid_from").alias(f"_{level}_from"), pl.col("valid_to").alias(f"_{level}_to"))
                frame = frame.join(units, on=column, how="left", maintain_order="left")
                in_force = pl.col(f"_{level}").is_not_null()
                if when is not None:
                    in_force &= (pl.col(f"_{level}_from").is_null() | (pl.col(f"_{level}_from") <= pl.col(when))) & (
                        pl.col(f"_{level}_to").is_null() | (pl.col(f"_{level}_to") >= pl.col(when)))
                picked = (pl.when(in_force).then(pl.struct(n=pl.col(f"_{level}"), lv=pl.lit(level)))
                          if picked is None else picked.when(in_force).then(
                              pl.struct(n=pl.col(f"_{level}"), lv=pl.lit(level))))
            # no unit in force at that month (an old commune in a list sent after the reform): the code's own unit
            for level in levels:
                picked = picked.when(pl.col(f"_{level}").is_not_null()).then(
                    pl.struct(n=pl.col(f"_{level}"), lv=pl.lit(level)))
            frame = frame.with_columns(picked.otherwise(None).alias("_picked")).with_columns(
                pl.col("_picked").struct.field("n").alias(f"{stem}_name"),
                pl.col("_picked").struct.field("lv").alias(f"{stem}_level"),
            ).drop("_picked", *[f"_{lv}{s}" for lv in levels for s in ("", "_from", "_to")])
        return frame

    # -- areas -------------------------------------------------------------------------------------------------
    @cached_property
    def _resolvers(self):
        from analysis.clean.resolve import AreaResolver
        geo = self.geography
        old = AreaResolver(geo.areas.filter(pl.col("level").is_in(PLAN_LEVELS)), geo.department)
        return {"old": old, "2025": AreaResolver.reformed(geo.areas)}

    def area(self, text: str | Area, geography: str | None = None) -> Area:
        """The area a text names, by any spelling cleaning accepts, or its code. `geography="2025"` looks among
        the units of 1 July 2025 only, "old" among those before; by default both, the old units first."""
        if isinstance(text, Area):
            return text
        if geography not in (None, *GEOGRAPHIES):
            raise AnalysisError(f"geography {geography!r}: 'old' or '2025'")
        found: dict[str, tuple[str, str]] = {}
        for which, resolver in self._resolvers.items():
            if resolver is None or geography not in (None, which):
                continue
            code, level, _ = resolver.area(str(text))   # a name in any spelling, or a code
            if code:
                level = level if which == "old" else REFORM_LEVELS.get(level, level)
                found[which] = (code, level)
        if not found:
            raise AreaNotFound(f"no area named {str(text)!r}; nearest: {self._nearest(str(text), geography)}")
        # A unit word written ("Xã Phú Lương") picks the unit it names over one of another kind that shares the bare
        # name (Huyện Phú Lương); otherwise the old units come first.
        worded = set(name_keys(str(text))[1:])
        said = [w for w, (c, lv) in found.items() if worded & set(name_keys(self._name(c, lv))[1:])]
        which = said[0] if len(said) == 1 else "old" if "old" in found else "2025"
        code, level = found[which]
        also = tuple(f"{self._name(c, lv)} ({lv} {c}, {w})" for w, (c, lv) in found.items() if w != which)
        return Area(code, level, self._name(code, level), self.geography.parent(code, level), which, also)

    def _name(self, code: str, level: str) -> str:
        return self.geography.name(code, self.lang, level)

    def _nearest(self, text: str, geography: str | None, k: int = 3) -> str:
        from rapidfuzz import fuzz, process
        units = self.geography.areas
        if geography:
            units = units.filter(pl.col("level").is_in([lv for lv, g in _LEVEL_GEOGRAPHY.items() if g == geography]))
        labels = [f"{n} ({lv} {c})" for c, lv, n in units.select("area_code", "level", f"name_{self.lang}").iter_rows()]
        keys = [fold(n) for n in units[f"name_{self.lang}"]]
        best = process.extract(fold(text), keys, scorer=fuzz.WRatio, limit=k)
        return "; ".join(labels[i] for _, _, i in best) or "none"

    # -- questions ---------------------------------------------------------------------------------------------
    def _indicator(self, indicator: str) -> str:
        known = self.table("indicators", names=False).select(pl.col("indicator_id").unique()).collect()
        ids = sorted(known["indicator_id"].to_list())
        if indicator not in ids:
            from rapidfuzz import process
            near = [m for m, _, _ in process.extract(indicator, ids, limit=3)]
            raise AnalysisError(f"no indicator {indicator!r}; nearest: {', '.join(near)} (all: {', '.join(ids)})")
        return indicator

    def series(self, indicator: str, area: str | Area) -> pl.DataFrame:
        """An area's series, month by month: `value` observed, then `projected` with its 80% interval (`lower`,
        `upper`), and the target set's `target` and `target_date` when the indicator has one."""
        a, ind = self.area(area), self._indicator(indicator)
        pick = (pl.col("indicator_id") == ind) & (pl.col("area_code") == a.code) & (pl.col("area_level") == a.level)
        observed = self.table("indicators", names=False).filter(pick).select("period", "value")
        frames = [observed.collect()]
        if (self.processed / "trajectories.parquet").exists():
            frames.append(self.table("trajectories", names=False).filter(pick)
                          .select("period", "projected", "lower", "upper").collect())
        out = pl.concat(frames, how="diagonal_relaxed").group_by("period").agg(pl.all().drop_nulls().first())
        out = out.sort("period").select("period", *[c for c in ("value", "projected", "lower", "upper")
                                                     if c in out.columns])
        goal = self._goal(ind, a)
        return out.with_columns(area_code=pl.lit(a.code), area_name=pl.lit(a.name), area_level=pl.lit(a.level),
                                target=pl.lit(goal[0], pl.Float64), target_date=pl.lit(goal[1], pl.Date))

    def _goal(self, indicator: str, area: Area) -> tuple[float | None, date | None]:
        if not (self.processed / "status.parquet").exists():
            return None, None
        row = (self.table("status", names=False).filter(
            (pl.col("indicator_id") == indicator) & (pl.col("area_code") == area.code)
            & (pl.col("area_level") == area.level)).select("target", "target_date").collect())
        return (row["target"][0], row["target_date"][0]) if row.height else (None, None)

    def compare(self, indicator: str, areas: Iterable[str | Area], since: str | date | None = None) -> pl.DataFrame:
        """Several areas' observed series side by side (long: one row per area and month), from `since` on."""
        found = [self.area(a) for a in areas]
        ind = self._indicator(indicator)
        keys = pl.DataFrame({"area_code": [a.code for a in found], "area_level": [a.level for a in found]})
        frame = (self.table("indicators").filter(pl.col("indicator_id") == ind)
                 .join(keys.lazy(), on=["area_code", "area_level"], how="semi"))
        if since is not None:
            frame = frame.filter(pl.col("period") >= _month(since))
        return frame.select("area_code", "area_name", "area_level", "period", "value").sort("area_code", "period"
                                                                                             ).collect()

    def rank(self, indicator: str, level: str = "district", period: str | date | None = None,
             within: str | Area | None = None) -> pl.DataFrame:
        """The areas of a level at one month (the latest with figures by default), best first: `rank`, `value`,
        and the target's `status` when judged. `within`: only the units of that area (a district's communes)."""
        ind = self._indicator(indicator)
        if level not in _LEVEL_GEOGRAPHY:
            raise AnalysisError(f"level {level!r}: one of {', '.join(_LEVEL_GEOGRAPHY)}")
        frame = self.table("indicators").filter((pl.col("indicator_id") == ind) & (pl.col("area_level") == level)
                                                & pl.col("value").is_not_null())
        if within is not None:
            frame = frame.filter(pl.col("parent_code") == self.area(within).code)
        month = _month(period) if period is not None else frame.select(pl.col("period").max()).collect().item()
        frame = frame.filter(pl.col("period") == month)
        status = (self.table("status", names=False).filter((pl.col("indicator_id") == ind)
                                                            & (pl.col("area_level") == level))
                  .select("area_code", "status", "direction").collect()
                  if (self.processed / "status.parquet").exists()
                  else pl.DataFrame(schema={"area_code": pl.String, "status": pl.String, "direction": pl.String}))
        # best first in the target's direction (lower is better for a target such as a latency)
        lower_better = status.height > 0 and status["direction"][0] == "lower"
        out = frame.select("area_code", "area_name", "parent_code", "period", "value").collect()
        out = out.sort("value", "area_code", descending=[not lower_better, False])
        out = out.with_columns(rank=pl.col("value").rank("min", descending=not lower_better).cast(pl.Int64))
        # `status` null where the target set does not judge the area (or nothing was judged yet)
        out = out.join(status.drop("direction"), on="area_code", how="left", maintain_order="left")
        return out.select("rank", *[c for c in out.columns if c != "rank"])

    # -- charts: Altair, drawn by JupyterLab's own Vega renderer, from the specs the pages draw -----------------
    @staticmethod
    def _altair():
        """Altair, showing its charts under the Vega-Lite MIME type JupyterLab draws itself (offline): Altair 6's
        default is HTML fetching Vega from a CDN, and its own MIME type (v6) is one JupyterLab 4 does not draw.
        The specs use nothing Vega-Lite 6 changed (analysis.charts)."""
        import altair as alt

        from analysis.charts import MIME, SCHEMA
        if "plan171" not in alt.renderers.names():
            alt.renderers.register("plan171", lambda spec, **_: {MIME: {**spec, "$schema": SCHEMA},
                                                                 "text/plain": f"<chart: {spec.get('title', '')}>"})
        alt.renderers.enable("plan171")
        return alt

    @cached_property
    def _targets(self):
        import json

        from analysis.targets import load
        path = self.processed / "trajectories.json"
        used = json.loads(path.read_text(encoding="utf-8")).get("target_set") if path.exists() else None
        try:
            return load(used)
        except AnalysisError:   # the set the trajectories were judged with is gone: the default set
            return load(None)

    def _target(self, indicator: str):
        target = self._targets.get(indicator)
        if target is None:
            raise AnalysisError(f"indicator {indicator!r} has no target in {self._targets.id}: series() gives its "
                                f"figures, without a target to chart against")
        return target

    def _facts(self, indicator: str):
        """The indicator's file (config/indicators/): its name, unit and frequency."""
        from analysis import metadata
        return metadata.get(self._indicator(indicator))

    def series_chart(self, indicator: str, area: str | Area):
        """The page's trend chart for any area: observed, projected with its 80% interval, the target and the
        required path, each point with its tooltip."""
        alt = self._altair()
        from analysis import charts
        a, target = self.area(area), self._target(self._indicator(indicator))
        # only this area's rows are read (the pages pass their month's whole tables)
        pick = (pl.col("indicator_id") == target.id) & (pl.col("area_code") == a.code)
        tables = {n: self.table(n, names=False).filter(pick).collect() if (self.processed / f"{n}.parquet").exists()
                  else pl.DataFrame() for n in ("indicators", "trajectories", "status")}
        as_of = tables["indicators"]["period"].max()
        drawn = charts.indicator_trend(tables["indicators"], tables["trajectories"], target, a.code, [a.level],
                                       as_of, self.lang, tables["status"] if tables["status"].height else None,
                                       title=f"{target.name(self.lang)} — {a.name}")
        if drawn is None:
            raise AnalysisError(f"no figure of {indicator!r} for {a}")
        return alt.LayerChart.from_dict(charts.fixed_width(drawn[0]))

    def compare_chart(self, indicator: str, areas: Iterable[str | Area], since: str | date | None = None):
        """`compare` drawn: a line per area, a tooltip per point; click an area in the legend to bring it forward."""
        alt = self._altair()
        from analysis import charts
        from analysis.text import unit
        facts = self._facts(indicator)
        spec = charts.comparison(self.compare(facts.id, areas, since), title=facts.name(self.lang),
                                 unit=unit(facts.unit, self.lang), lang=self.lang, frequency=facts.frequency)
        return alt.Chart.from_dict(charts.fixed_width(spec))

    def rank_chart(self, indicator: str, period: str | date | None = None, level: str = "district",
                   within: str | Area | None = None):
        """`rank` drawn as bars coloured by status; click a district to see its communes ranked below it."""
        alt = self._altair()
        from analysis import charts
        from analysis.text import month as month_text
        from analysis.text import unit
        facts = self._facts(indicator)
        parents = self.rank(facts.id, level, period, within)
        month = parents["period"][0] if parents.height else None
        child = {"district": "commune", "province": "district"}.get(level)
        children = self.rank(facts.id, child, month) if child and month else parents.clear()
        name = facts.name(self.lang)
        title = f"{name} — {month_text(month, self.lang)}" if month else name
        worst = parents["area_code"][-1] if parents.height else None   # shown first: the one furthest behind
        spec = charts.ranking(parents, children, title=title, unit=unit(facts.unit, self.lang), lang=self.lang,
                              first=worst)
        return alt.VConcatChart.from_dict(charts.fixed_width(spec))

    # -- SQL ---------------------------------------------------------------------------------------------------
    def sql(self):
        """A DuckDB connection (in memory) with every table of the folder as a view over its Parquet file: no copy,
        no server. `d.sql().sql("select …").pl()` gives a polars frame."""
        from analysis.sql import connect
        return connect(self.processed)
