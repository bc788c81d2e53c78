"""The operators' network lists and the i-Speed measurements: BTS sites (clustered into positions) and speed tests."""
from __future__ import annotations

import importlib
import re
import threading

import numpy as np
import polars as pl

from analysis.clean import values
from analysis.clean.columns import Parsed, coordinate, first_error, mapped, number, required
from analysis.clean.context import Context
from analysis.clean.parse import ParseError, parse_date, parse_datetime
from analysis.clean.reports import submitted
from analysis.clean.writing import Order
from analysis.periods import month_index, month_index_of

EARTH_M_PER_DEG = 111_320.0
MAX_SPEED_MBPS = 10_000.0  # 10 Gbps: no consumer line or handset measures more
BOUNDS_MARGIN_DEG = 0.02   # about 2 km of slack around the province's bounding box
_TECH = re.compile(r"[1-5]G|LTE|NR|GSM|UMTS", re.I)
_TECH_ALIAS = {"LTE": "4G", "NR": "5G", "GSM": "2G", "UMTS": "3G"}


def _technology(text: str | None) -> str | None:
    """'2G/3G/4G', '4G, 5G', '4g+5g', 'LTE' -> '2G/3G/4G', '4G/5G': generations sorted, '/'-joined."""
    if not text:
        return None
    found = [_TECH_ALIAS.get(t.upper(), t.upper()) for t in _TECH.findall(text)]
    rest = _TECH.sub("", text)
    if not found or re.sub(r"[\s/,;+&-]|va|và", "", rest, flags=re.I):
        raise ParseError(f"technology not recognised: {text!r}")
    return "/".join(sorted(set(found)))


def _inside(value: pl.Series, lo: float, hi: float, what: str, error: pl.Series) -> pl.Series:
    return pl.select(pl.when(error.is_null() & value.is_not_null() & ((value < lo) | (value > hi)))
                     .then(pl.format(f"{what} {{}} is outside the province ({lo:.2f} to {hi:.2f})", value))
                     .otherwise(error)).to_series()


def bts_sites(d: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    op = ctx.operator(d)
    site = required(Parsed(ctx.column(d, "site_id"), pl.Series([None] * d.height, dtype=pl.String)), "site_id")
    lat = required(coordinate(ctx.column(d, "lat")), "latitude")
    lon = required(coordinate(ctx.column(d, "lon")), "longitude")
    b = ctx.bounds
    lat_err = _inside(lat.value, b[0] - BOUNDS_MARGIN_DEG, b[1] + BOUNDS_MARGIN_DEG, "latitude", lat.error)
    lon_err = _inside(lon.value, b[2] - BOUNDS_MARGIN_DEG, b[3] + BOUNDS_MARGIN_DEG, "longitude", lon.error)
    tech = mapped(ctx.column(d, "technology"), _technology, pl.String, empty=None)
    as_of = mapped(ctx.column(d, "as_of"), parse_date, pl.Date, empty=None)
    # A list without an as-of column is as at the date in its title ("... ĐẾN 31/10/2024" / "Ngày 31/10/2024").
    tables = d["_t"].unique().to_list()
    title = d["_t"].replace_strict(tables, [ctx.title_date(i, any_date=True) for i in tables], return_dtype=pl.Date)
    when = pl.select(pl.coalesce(as_of.value, title)).to_series()
    commune, district, area_err, _ = ctx.communes(d, period=when)
    as_of_err = pl.select(pl.when(when.is_null() & as_of.error.is_null()).then(pl.lit("as_of is empty"))
                          .otherwise(as_of.error)).to_series()
    out = d.select("_t", "_row").with_columns(
        as_of=when, operator=op.value, site_id=site.value, lat=lat.value, lon=lon.value, commune_code=commune,
        district_code=district, technology=tech.value, _submitted=submitted(ctx, d)).with_columns(
        period=pl.col("as_of").dt.truncate("1mo"))
    return first_error(out, [("operator", op.error), ("site_id", site.error), ("lat", lat_err), ("lon", lon_err),
                             ("commune", area_err), ("technology", tech.error), ("as_of", as_of_err)])


_CLUSTERING = ("scipy.sparse", "scipy.sparse.csgraph", "scipy.spatial")   # what `positions` imports


def import_ahead() -> threading.Thread:
    """Import what `positions` needs on a thread of its own, started when the first BTS list is read: the files
    are still being read then, and the readers leave the GIL free more than half the time, where the import on
    the main thread at the end held the clean up (0.45 s of the province's, measured with py-spy)."""
    def load() -> None:
        try:
            for name in _CLUSTERING:
                importlib.import_module(name)
        except ImportError:   # said where it is needed, by `positions`' own import, not on this thread
            pass
    thread = threading.Thread(target=load, name="import-scipy")
    thread.start()
    return thread


def positions(sites: pl.DataFrame, radius_m: float) -> pl.DataFrame:
    """Each distinct (operator, site, lat, lon) -> position_id: sites linked by chains of neighbours closer than
    `radius_m` form one position, named after its earliest-listed site so the id stays put as months are added."""
    distinct = (sites.group_by("operator", "site_id", "lat", "lon").agg(first=pl.col("period").min())
                .sort("first", "operator", "site_id", "lat", "lon"))
    lat, lon = distinct["lat"].to_numpy(), distinct["lon"].to_numpy()
    # Imported here: scipy takes 0.6-1 s to import, and only BTS positions need it (not a clean of a month's
    # files that holds none, nor any other stage).
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree
    xy = np.column_stack([lat * EARTH_M_PER_DEG, lon * EARTH_M_PER_DEG * np.cos(np.radians(lat))])
    pairs = cKDTree(xy).query_pairs(radius_m, output_type="ndarray") if len(xy) else np.empty((0, 2), int)
    n = len(xy)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    # Rows are sorted by first appearance, so the first row of each label is its earliest site.
    first_of = {}
    for i, lab in enumerate(label):
        first_of.setdefault(lab, i)
    ids = distinct["site_id"].to_list()
    return distinct.select("operator", "site_id", "lat", "lon").with_columns(
        position_id=pl.Series([ids[first_of[lab]] for lab in label], dtype=pl.String))


def finish_bts_sites(kept: pl.DataFrame, radius_m: float) -> pl.DataFrame:
    kept = kept.unique(["period", "operator", "site_id"], keep="last")
    pos = positions(kept, radius_m)
    out = kept.join(pos, on=["operator", "site_id", "lat", "lon"], how="left")
    return (out.with_columns(operators_at_position=pl.col("operator").n_unique().over("period", "position_id"))
            .with_columns(shared=pl.col("operators_at_position") >= 2)
            .select("period", "as_of", "operator", "site_id", "lat", "lon", "commune_code", "district_code",
                    "technology", "position_id", "operators_at_position", "shared", "source_file")
            .sort("period", "operator", "site_id"))


_TS_FORMATS = ("%d/%m/%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y %H:%M")


def _timestamps(col: pl.Series) -> Parsed:
    """The common layouts vectorised; anything else (an Excel serial, another order) by the scalar parser."""
    # Each layout is tried only on the cells the ones before it left unread (one pass for a uniform export).
    fast = col.str.strptime(pl.Datetime("us"), _TS_FORMATS[0], strict=False)
    for f in _TS_FORMATS[1:]:
        todo = (fast.is_null() & col.is_not_null()).arg_true()
        if not len(todo):
            break
        fast = fast.scatter(todo, col[todo].str.strptime(pl.Datetime("us"), f, strict=False))
    rest = col.filter(fast.is_null() & col.is_not_null())
    slow = mapped(rest, parse_datetime, pl.Datetime("us"))
    lut = pl.DataFrame({"v": rest, "slow": slow.value, "e": slow.error},
                       schema={"v": pl.String, "slow": pl.Datetime("us"), "e": pl.String}).unique("v")
    frame = pl.DataFrame({"v": col, "fast": fast}).join(lut, on="v", how="left", maintain_order="left")
    value = frame.select(pl.coalesce("fast", "slow")).to_series()
    error = frame.select(pl.when(pl.col("v").is_null()).then(pl.lit("ts is empty")).otherwise("e")).to_series()
    return Parsed(value.alias("ts"), error.alias("ts"))


def _speed_unit(ctx: Context, t: int, download: pl.Series) -> tuple[float, str, str]:
    """(factor to Mbps, unit, rule): the header's '(kbps)'/'(Mbps)' when it says, else the magnitude; decided once
    per file (on its first part, for a file read in parts)."""
    first = ctx.tables[t].continues or ctx.tables[t]
    if "speed_unit" not in first.decided:
        first.decided["speed_unit"] = _decide_unit(first, download)
    return first.decided["speed_unit"]


def _decide_unit(table, download: pl.Series) -> tuple[float, str, str]:
    header = (table.headers.get("download") or "").lower()
    if "kbps" in header or "kbit" in header:
        return 1 / 1000, "kbps", "header"
    if "mbps" in header or "mbit" in header:
        return 1.0, "Mbps", "header"
    median = download.filter(download > 0).median()
    # Mean speeds here are tens to hundreds of Mbps, so tens of thousands means kbps.
    if median is not None and median > 1000:
        return 1 / 1000, "kbps", f"magnitude (median download {median:,.0f} > 1,000)"
    return 1.0, "Mbps", f"magnitude (median download {median or 0:,.1f} <= 1,000)"


def speed_tests(d: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    ts = _timestamps(ctx.column(d, "ts"))
    op = ctx.operator(d)
    network = mapped(ctx.column(d, "network"), values.lookup(values.NETWORKS, "network"), pl.String)
    down = required(number(ctx.column(d, "download"), decimal=True), "download")
    up = number(ctx.column(d, "upload"), decimal=True)
    latency = required(number(ctx.column(d, "latency_ms"), decimal=True), "latency_ms")
    commune, district, area_err, _ = ctx.communes(d, period=ts.value.dt.date())
    units: dict[int, float] = {}
    for (t,), part in pl.DataFrame({"_t": d["_t"], "down": down.value}).group_by("_t"):
        units[t], unit, rule = _speed_unit(ctx, t, part["down"])
        ctx.file_notes.setdefault(ctx.tables[t].file, {})["speed_unit"] = {"unit": unit, "rule": rule}
    factor = d["_t"].replace_strict(list(units), list(units.values()), return_dtype=pl.Float64)
    out = d.select("_t", "_row").with_columns(
        test_id=ctx.column(d, "test_id"), ts=ts.value, operator=op.value, network=network.value,
        download_mbps=(down.value * factor).round(3), upload_mbps=(up.value * factor).round(3),
        latency_ms=latency.value, commune_code=commune, district_code=district).with_columns(
        period=pl.col("ts").dt.truncate("1mo").cast(pl.Date))
    impossible = lambda col, e: pl.select(
        pl.when(e.is_null() & ((out[col] < 0) | (out[col] > MAX_SPEED_MBPS)))
        .then(pl.format(f"{col.split('_')[0]} {{}} Mbps is impossible (below 0 or above 10 Gbps)", out[col]))
        .otherwise(e)).to_series()
    lat_err = pl.select(pl.when(latency.error.is_null() & (out["latency_ms"] <= 0))
                        .then(pl.format("latency {} ms is impossible (0 or below)", out["latency_ms"]))
                        .otherwise(latency.error)).to_series()
    now = month_index(ctx.today)
    ts_err = pl.select(pl.when(ts.error.is_null() & (month_index_of(out["ts"]) > now))
                       .then(pl.format("ts {} is in the future", out["ts"])).otherwise(ts.error)).to_series()
    return first_error(out, [("ts", ts_err), ("operator", op.error), ("network", network.error),
                             ("download", impossible("download_mbps", down.error)),
                             ("upload", impossible("upload_mbps", up.error)), ("latency_ms", lat_err),
                             ("commune", area_err)])


# Ties (a test without an id) keep the files' order.
SPEED_ORDER = Order(("ts", "test_id"))


def finish_speed_tests(kept: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame | pl.LazyFrame:
    # device_id and ip were never selected: personal data stops at the raw file. A frame, sorted; or (nationally)
    # a query over the parsed batches' files, which is written sorted a month at a time (`writing.write_by_month`).
    out = kept.select("test_id", "ts", "period", "operator", "network", "download_mbps", "upload_mbps",
                      "latency_ms", "commune_code", "district_code", "source_file")
    return SPEED_ORDER.sort(out) if isinstance(out, pl.DataFrame) else out
