"""The tables the suites run on: each processed table as written, plus derived tables that turn a rule across
tables or months (completeness, month-over-month change, fibre against households, registry against coverage,
area validity, personal-data columns) into a rule on one column that Great Expectations can state.

Every check table carries a `key` column, a readable label of its row, so a failing rule can show examples.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from analysis import paths
from analysis.areas import REFORM_LEVELS, district_provinces, province_boxes
from analysis.clean.accounts import accounted
from analysis.crosswalk import area_crosswalk
from analysis.periods import interpolate_yearly, month_index_of, month_range
from analysis.validate.rows import height

SUITES = paths.EXPECTATIONS / "gx" / "expectations"
PROCESSED = ("subscribers", "hamlet_coverage", "bts_sites", "speed_tests", "population", "hamlet_registry",
             "smartphone_survey", "state_apps", "milestones", "reference_areas", "quarantine")
MONTHLY_REPORTS = ("subscribers", "hamlet_coverage", "bts_sites")
PERSONAL = ["device_id", "ip", "imei", "msisdn", "phone", "mac"]
AREA_COLUMNS = {"subscribers": "commune_code", "hamlet_coverage": "commune_code", "bts_sites": "commune_code",
                "speed_tests": "commune_code"}
_KEYS = {
    "subscribers": ["operator", "period", "commune_code", "service", "segment"],
    "hamlet_coverage": ["operator", "period", "hamlet_code"],
    "bts_sites": ["operator", "period", "site_id"],
    "speed_tests": ["test_id"],
    "population": ["commune_code", "year"],
    "hamlet_registry": ["hamlet_code"],
    "smartphone_survey": ["area_code", "year"],
    "state_apps": ["as_of", "app"],
    "milestones": ["as_of", "milestone"],
    "reference_areas": ["level", "area_code"],
    "quarantine": ["source_file", "row_number", "reason"],
}


def _key(cols: list[str]) -> pl.Expr:
    return pl.concat_str([pl.col(c).cast(pl.String).fill_null("∅") for c in cols], separator=" ").alias("key")


# Columns the derived checks read, beyond those the suites name and the keys.
DERIVED_NEEDS = {"subscribers": ["period", "operator", "service", "segment", "commune_code", "district_code",
                                 "subscribers"],
                 "hamlet_coverage": ["hamlet_code", "period", "commune_code", "district_code"],
                 "hamlet_registry": ["hamlet_code"],
                 "bts_sites": ["lat", "lon", "district_code", "commune_code", "period"],
                 "speed_tests": ["commune_code", "district_code", "period"],
                 "population": ["commune_code", "district_code", "year", "households"],
                 "reference_areas": ["area_code", "level", "valid_from", "valid_to"]}


# Columns a suite's own computed column is made from (a site's distance outside its province's box).
SUITE_NEEDS = {"bts_sites": ["lat", "lon", "district_code"]}


def rules(name: str) -> list[dict]:
    """A committed suite's expectations (type, kwargs, severity, meta, description) from its JSON, without
    importing GX; none for a table without a suite."""
    path = SUITES / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8"))["expectations"] if path.exists() else []


def suite_columns(name: str) -> set[str]:
    """The columns a committed suite's rules read."""
    kwargs = [e["kwargs"] for e in rules(name)]
    return {c for kw in kwargs for c in [kw.get("column"), kw.get("column_A"), kw.get("column_B"),
                                         *(kw.get("column_list") or [])] if c}


def read(processed: Path, name: str, *, suite: bool = True, derived: bool = True, lazy: bool = False
         ) -> pl.DataFrame | pl.LazyFrame | None:
    """One processed table (None when absent) with only its key's columns and those its suite (`suite`) and the
    derived checks (`derived`) read: a national speed table is 20 million rows of eleven columns. `lazy`: a
    query over the file instead, for a table large enough to be streamed (`STREAMED_FROM` rows)."""
    path = processed / f"{name}.parquet"
    if not path.exists():
        return None
    want = set(_KEYS[name]) | ((suite_columns(name) | set(SUITE_NEEDS.get(name, ()))) if suite else set()) | (
        set(DERIVED_NEEDS.get(name, ())) if derived else set())
    columns = [c for c in pl.read_parquet_schema(path) if c in want]
    if lazy and name != "bts_sites" and height(pl.scan_parquet(path)) >= STREAMED_FROM:
        return pl.scan_parquet(path).select(columns)
    frame = pl.read_parquet(path, columns=columns)
    if name == "bts_sites" and suite:
        frame = frame.with_columns(outside_deg=outside_province(frame))
    return frame


def load(processed: Path) -> dict[str, pl.DataFrame]:
    """The processed tables present (a partial raw folder gives fewer), each with only the columns its suite,
    its key and the derived checks read, all at once (what the tests of single checks want; validation reads a
    table at a time: `frames`). Keys are added later, to the rows validation shows (`with_keys`)."""
    return {name: t for name in PROCESSED if (t := read(processed, name)) is not None}


# A processed table of this many rows or more is validated as a query: with 60 million speed tests held whole
# validation peaked at 9.8 GB, streamed at 4.4 GB (1 December 2026).
STREAMED_FROM = 2_000_000


def with_keys(name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with its readable `key` (a derived table has one already)."""
    if "key" in frame.columns or name not in _KEYS:
        return frame
    return frame.with_columns(_key(_KEYS[name]))


def outside_province(sites: pl.DataFrame) -> pl.Series:
    """How far (in degrees) each site lies outside its own province's box: 0 inside. A ministry's run holds
    many provinces, so each site is held to its own (by its district), not to one province's box."""
    boxed = (sites.select("lat", "lon", "district_code")
             .join(district_provinces(), on="district_code", how="left", maintain_order="left")
             .join(province_boxes(), on="province_code", how="left", maintain_order="left"))
    return boxed.select(pl.max_horizontal(pl.col("lat_min") - pl.col("lat"), pl.col("lat") - pl.col("lat_max"),
                                          pl.col("lon_min") - pl.col("lon"), pl.col("lon") - pl.col("lon_max"),
                                          pl.lit(0.0)).alias("outside_deg")).to_series()


def submissions(tables: dict[str, pl.DataFrame]) -> pl.DataFrame | None:
    """Every operator that reports a kind, every period of the kind's cadence from its first to its last: rows
    it sent. The cadence is monthly, or quarterly for a kind only ever reported at quarter ends (the ministry's
    hamlet inventory and BTS census)."""
    parts = []
    for kind in MONTHLY_REPORTS:
        if tables.get(kind) is None:
            continue
        sent = tables[kind].lazy().group_by("operator", "period").len("rows").collect()   # a table may be a scan
        if sent.is_empty():
            continue
        seen = sent["period"].unique()
        quarterly = seen.len() > 1 and bool((seen.dt.month() % 3 == 0).all())
        months = pl.DataFrame({"period": [m for m in month_range(seen.min(), seen.max())
                                          if not quarterly or m.month % 3 == 0]})
        grid = months.join(sent.select("operator").unique(), how="cross").with_columns(kind=pl.lit(kind))
        parts.append(grid.join(sent, on=["operator", "period"], how="left").with_columns(pl.col("rows").fill_null(0)))
    if not parts:
        return None
    return pl.concat(parts).with_columns(_key(["kind", "operator", "period"])).sort("kind", "operator", "period")


def subscriber_changes(tables: dict[str, pl.DataFrame]) -> pl.DataFrame | None:
    """Each operator's total per old province and service, and its change on the month before (a share: 0.3 is
    +30%). A row in a unit of 1 July 2025 counts to the old province its unit was formed from, so a province that
    joined (Bắc Kạn, from 2025-07) starts its own series instead of reading as a jump in Thái Nguyên's."""
    t = tables.get("subscribers")
    if t is None:
        return None
    by = ["operator", "service", "old_province"]
    totals = (t.lazy().with_columns(old_province=_old_province(t, tables.get("reference_areas")))
              .group_by(*by, "period").agg(pl.col("subscribers").sum()).collect()   # a table may be a scan
              .sort(*by, "period")
              .with_columns(previous=pl.col("subscribers").shift(1).over(by),
                            gap=month_index_of(pl.col("period")).diff().over(by)))
    return (totals.filter((pl.col("gap") == 1) & (pl.col("previous") > 0))
            .with_columns(change=pl.col("subscribers") / pl.col("previous") - 1)
            .with_columns(_key([*by, "period"])).drop("gap"))


def _scope_crosswalk(ref: pl.DataFrame) -> pl.DataFrame:
    """The crosswalk of the provinces of 1 July 2025 that the cleaned (old) provinces went into."""
    return area_crosswalk(sorted(ref.filter(pl.col("level") == "province")["area_code"]))


def _old_province(subs: pl.DataFrame, ref: pl.DataFrame | None) -> pl.Expr:
    """Each row's province before the reform: its district's, or for a unit of 1 July 2025 (no district) the old
    province most of the communes it was formed from lay in (new communes did not cross old provinces' lines)."""
    by_district = dict(district_provinces().iter_rows())
    old = pl.col("district_code").replace_strict(by_district, default=None, return_dtype=pl.String)
    if ref is None or not subs.lazy().select(pl.col("district_code").is_null().any()).collect().item():
        return old
    cw = _scope_crosswalk(ref)
    formed = dict(cw.group_by("new_code").agg(pl.col("old_province_code").mode().min()).iter_rows())
    return pl.coalesce(old, pl.col("commune_code").replace_strict(formed, default=None, return_dtype=pl.String))


def fibre_households(tables: dict[str, pl.DataFrame]) -> pl.DataFrame | None:
    """Per commune and month: household FTTH subscriptions (all operators) against households, interpolated."""
    subs, pop = tables.get("subscribers"), tables.get("population")
    if subs is None or pop is None:
        return None
    # A row with no district is a unit of 1 July 2025: its households are its old communes' (by the crosswalk).
    units = (pl.when(pl.col("district_code").is_null()).then(pl.lit("2025")).otherwise(pl.lit("old"))
             if "district_code" in subs.lazy().collect_schema().names() else pl.lit("old"))
    fibre = (subs.lazy().filter((pl.col("service") == "ftth") & (pl.col("segment") == "household"))
             .group_by("period", "commune_code", units.alias("units")).agg(ftth=pl.col("subscribers").sum())
             .collect())   # a table may be a scan
    if fibre.is_empty():
        return None
    months = sorted(fibre["period"].unique().to_list())
    households = interpolate_yearly(pop, ["commune_code"], "households", months)
    parts = [households.with_columns(units=pl.lit("old"))]
    if (fibre["units"] == "2025").any() and tables.get("reference_areas") is not None:
        cw = _scope_crosswalk(tables["reference_areas"])
        parts.append(households.join(cw.select("old_code", "new_code", "weight_households"), left_on="commune_code",
                                     right_on="old_code")
                     .group_by("period", "new_code").agg((pl.col("households") * pl.col("weight_households")).sum())
                     .select("period", commune_code="new_code", households="households", units=pl.lit("2025")))
    return (fibre.join(pl.concat(parts, how="diagonal_relaxed"), on=["period", "commune_code", "units"], how="left")
            .with_columns(excess=pl.col("ftth") - pl.col("households"))
            .with_columns(_key(["commune_code", "units", "period"])))


def coverage_registry(tables: dict[str, pl.DataFrame]) -> pl.DataFrame | None:
    """Each coverage row: is its hamlet in the registry? And each registry hamlet and month: named by anyone?"""
    cov, reg = tables.get("hamlet_coverage"), tables.get("hamlet_registry")
    if cov is None or reg is None:
        return None
    codes = reg["hamlet_code"].implode()
    listed = cov.lazy().select("hamlet_code", "period").unique().collect()   # a table may be a scan
    months = pl.DataFrame({"period": sorted(listed["period"].unique().to_list())})
    grid = reg.select("hamlet_code").join(months, how="cross")
    reported = (grid.join(listed.with_columns(named=pl.lit(True)), on=["hamlet_code", "period"], how="left")
                .with_columns(pl.col("named").fill_null(False), in_registry=pl.lit(True)))
    unknown = (listed.filter(~pl.col("hamlet_code").is_in(codes))
               .with_columns(named=pl.lit(True), in_registry=pl.lit(False)))
    return pl.concat([reported, unknown.select(reported.columns)]).with_columns(_key(["hamlet_code", "period"]))


def area_validity(tables: dict[str, pl.DataFrame]) -> pl.DataFrame | None:
    """Every (table, commune code, month) used: is the code an official unit, and was it in force that month?"""
    ref = tables.get("reference_areas")
    if ref is None:
        return None
    # A row with no district names a unit of 1 July 2025 (which reused old codes): it is judged against those.
    # Tables may be scans (LazyFrames): only their distinct (code, month, level) triples are ever held.
    used = [t.lazy().select(pl.lit(name).alias("table"), pl.col(col).alias("area_code"), "period",
                            level=pl.when(pl.col("district_code").is_null() & pl.col(col).is_not_null())
                            .then(pl.lit(REFORM_LEVELS["commune"])).otherwise(pl.lit("commune"))
                            if "district_code" in t.lazy().collect_schema().names() else pl.lit("commune")).unique()
            for name, col in AREA_COLUMNS.items() if (t := tables.get(name)) is not None]
    if not used:
        return None
    units = ref.lazy().filter(pl.col("level").is_in(["commune", REFORM_LEVELS["commune"]])).select(
        "area_code", "level", "valid_from", "valid_to").collect()
    return (pl.concat([u.collect() for u in used]).join(units, on=["area_code", "level"], how="left")
            .with_columns(known=pl.col("valid_from").is_not_null(),
                          in_force=((pl.col("period") >= pl.col("valid_from"))
                                    & (pl.col("valid_to").is_null() | (pl.col("period") <= pl.col("valid_to"))))
                          .fill_null(False))
            .with_columns(_key(["table", "area_code", "period"])))


def table_columns(processed: Path) -> pl.DataFrame:
    """Every column of every processed table (from the files' schemas), for the rule that none holds personal
    data."""
    rows = [(name, c) for name in PROCESSED if (processed / f"{name}.parquet").exists()
            for c in pl.read_parquet_schema(processed / f"{name}.parquet")]
    return pl.DataFrame(rows, schema={"table": pl.String, "column": pl.String}, orient="row").with_columns(
        _key(["table", "column"]))


def raw_files(manifest: dict) -> pl.DataFrame:
    """The raw-level view: every input file with its accounting, as the clean stage's manifest states it."""
    rows = [{"path": f["path"], "kinds": ", ".join(f["kinds"]), "rows_read": f["rows_read"],
             "accounted": accounted(f), "quarantined": f["quarantined"], "error": f.get("error")}
            for f in manifest["inputs"]]
    schema = {"path": pl.String, "kinds": pl.String, "rows_read": pl.Int64, "accounted": pl.Int64,
              "quarantined": pl.Int64, "error": pl.String}
    return (pl.DataFrame(rows, schema=schema).with_columns(balanced=pl.col("rows_read") == pl.col("accounted"),
                                                           recognised=pl.col("kinds") != "")
            .with_columns(_key(["path"])))


def milestone_entries(tables: dict[str, pl.DataFrame], target_set) -> pl.DataFrame | None:
    """Each distinct entry of the department's milestones sheet and the target set's milestone it names (null
    when it names none clearly), keyed by the entry and the nearest milestone, so the warning can say which one
    it may have meant."""
    if target_set is None or "milestones" not in tables or not target_set.milestones:
        return None
    from analysis import milestone_match
    found = milestone_match.match_all(tables["milestones"]["milestone"].to_list(), target_set.milestones)
    # In no language's words: the page's sentence around it is translated, the entry and the milestone are not.
    return found.with_columns(key=pl.format("'{}' ≈ {} ({})", "entry", pl.col("nearest_vi").fill_null("∅"),
                                            pl.col("score").round(0).cast(pl.Int64)))


# The derived checks and the tables each reads, for it alone; the small ones are read whole (eagerly).
SMALL = ("population", "hamlet_registry", "reference_areas", "milestones")
DERIVED = {"submissions": (submissions, MONTHLY_REPORTS),
           "subscriber_changes": (subscriber_changes, ("subscribers", "reference_areas")),
           "fibre_households": (fibre_households, ("subscribers", "population", "reference_areas")),
           "coverage_registry": (coverage_registry, ("hamlet_coverage", "hamlet_registry"))}


# The check tables whose rows name an operator and a month (what the corrections to operators report).
BY_OPERATOR = ("submissions", "subscriber_changes", *[n for n, key in _KEYS.items() if "operator" in key])


def frames(processed: Path, manifest: dict, target_set=None, only: tuple[str, ...] | None = None,
           lazy: bool = False) -> Iterator[tuple[str, pl.DataFrame | pl.LazyFrame]]:
    """(check table name = suite name, frame), one at a time: each processed table with its suite's columns, then
    each derived check from the tables it reads, read for it alone, so that a national run never holds its big
    tables together (the speed tests are 20 million rows). A table whose inputs are absent is simply not checked
    (nor the milestones' wording without a target set)."""
    wanted = (lambda name: only is None or name in only)
    for name in PROCESSED:   # a large table as a query, which the suite's row tests stream (`rows.needed`)
        if wanted(name) and (t := read(processed, name, derived=False, lazy=lazy)) is not None:
            yield name, t
    # The derived checks read the big tables as scans: polars' streaming engine reduces them (sums by month,
    # distinct codes) without holding them whole.
    def scans(names) -> dict[str, pl.LazyFrame | pl.DataFrame]:
        return {n: (read(processed, n, suite=False) if n in SMALL else pl.scan_parquet(processed / f"{n}.parquet"))
                for n in names if (processed / f"{n}.parquet").exists()}
    for name, (check, reads) in DERIVED.items():
        if wanted(name) and (t := check(scans(reads))) is not None:
            yield name, t
    if wanted("area_validity") and (t := area_validity(scans([*AREA_COLUMNS, "reference_areas"]))) is not None:
        yield "area_validity", t
    if wanted("table_columns"):
        yield "table_columns", table_columns(processed)
    if wanted("raw_files"):
        yield "raw_files", raw_files(manifest)
    milestones = read(processed, "milestones") if wanted("milestone_entries") else None
    if (t := milestone_entries({"milestones": milestones} if milestones is not None else {}, target_set)) is not None:
        yield "milestone_entries", t


def build(processed: Path, manifest: dict, target_set=None) -> dict[str, pl.DataFrame]:
    """Every check table at once (name -> frame), for the tests; validation goes through `frames`."""
    return dict(frames(processed, manifest, target_set))
