"""Ground truth for networks: FTTH and mobile coverage of every hamlet, and BTS sites clustered in positions."""
from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
from scipy.spatial import cKDTree

from analysis.periods import month_end, month_index, parse_month
from analysis.sample.settings import SampleConfig

NEVER = 10_000  # a start month index that no series reaches
EARTH_M_PER_DEG = 111_320.0


def _late_starts(n_hamlets: int, weights: np.ndarray, windows: list[tuple[int, int, int]],
                 rng: np.random.Generator) -> np.ndarray:
    """Start month per hamlet: -1 (before the series) except `count` hamlets starting within each window."""
    start = np.full(n_hamlets, -1)
    total = sum(c for c, _, _ in windows)
    late = rng.choice(n_hamlets, size=total, replace=False, p=weights / weights.sum())
    i = 0
    for count, lo, hi in windows:
        start[late[i:i + count]] = rng.integers(lo, hi + 1, size=count)
        i += count
    return start


def coverage(cfg: SampleConfig, hamlets: pl.DataFrame, months: list[date], rng: np.random.Generator) -> pl.DataFrame:
    """Per operator, month and hamlet: FTTH available, 4G and 5G coverage, as the operators know it."""
    c = cfg.coverage
    t0 = month_index(months[0])
    at = lambda text: month_index(parse_month(text)) - t0
    n, last = hamlets.height, len(months) - 1
    classes = hamlets["district_class"].to_numpy()
    remote = np.where(classes == "mountain", 6.0, np.where(classes == "lowland", 1.0, 0.1))
    ftth_first = _late_starts(n, remote, [
        (c["ftth_unserved_2021_01"] - c["ftth_unserved_2023_03"], 1, at("2023-03")),
        (c["ftth_unserved_2023_03"], at("2023-03") + 1, at(c["ftth_all_served_by"]))], rng)
    mbb_first = _late_starts(n, remote, [
        (c["mbb_uncovered_2021_01"] - c["mbb_uncovered_2024_12"], 1, at("2024-12")),
        (c["mbb_uncovered_2024_12"], at("2024-12") + 1, at(c["mbb_all_covered_by"]))], rng)

    lead_vnpt = rng.random(n) < 0.6
    follow = lambda p: np.where(rng.random(n) < p, rng.integers(0, 37, n), NEVER)
    ftth = {
        "VNPT": np.where(lead_vnpt, ftth_first, ftth_first + rng.integers(0, 37, n)),
        "Viettel": np.where(~lead_vnpt, ftth_first, ftth_first + follow(0.85)),
        "FPT": np.where((classes != "mountain") & (rng.random(n) < 0.45),
                        np.maximum(ftth_first, rng.integers(-60, last + 1, n)), NEVER),
        "MobiFone": np.where(rng.random(n) < 0.05, np.maximum(ftth_first, rng.integers(-30, last + 1, n)), NEVER),
    }
    g4 = {"Viettel": mbb_first, "VNPT": mbb_first + follow(0.9), "MobiFone": mbb_first + follow(0.75),
          "FPT": np.full(n, NEVER)}
    five = at(c["fiveg_from"])
    g5_base = np.where(classes == "urban", five + rng.integers(0, 25, n),
                       np.where((classes == "lowland") & (rng.random(n) < 0.3), five + rng.integers(6, 25, n), NEVER))
    g5 = {"Viettel": g5_base, "VNPT": np.where(rng.random(n) < 0.7, g5_base + rng.integers(0, 12, n), NEVER),
          "MobiFone": np.where(rng.random(n) < 0.4, g5_base + rng.integers(3, 18, n), NEVER), "FPT": np.full(n, NEVER)}

    t = np.arange(len(months))[:, None]
    frames = []
    for op in ("VNPT", "Viettel", "FPT", "MobiFone"):
        f, m4 = t >= ftth[op][None, :], t >= g4[op][None, :]
        m5 = (t >= g5[op][None, :]) & m4
        # FPT has no mobile network and lists only the hamlets it serves; the others list every hamlet.
        listed = f if op == "FPT" else np.ones_like(f)
        idx_t, idx_h = np.nonzero(listed)
        frames.append(pl.DataFrame({
            "period": np.array(months, dtype="datetime64[D]")[idx_t], "operator": op,
            "hamlet_code": hamlets["hamlet_code"].to_numpy()[idx_h],
            "ftth": f[idx_t, idx_h], "mbb_4g": m4[idx_t, idx_h], "mbb_5g": m5[idx_t, idx_h],
        }))
    out = pl.concat(frames).with_columns(pl.col("period").cast(pl.Date))
    return (out.join(hamlets.select("hamlet_code", "commune_code", "district_code"), on="hamlet_code")
            .with_columns(mbb=pl.col("mbb_4g") | pl.col("mbb_5g"))
            .sort("period", "operator", "hamlet_code"))


def around(lat: np.ndarray, lon: np.ndarray, radius_m: float, rng: np.random.Generator
           ) -> tuple[np.ndarray, np.ndarray]:
    """A point within `radius_m` of each (lat, lon), in a uniform direction: where an operator's site stands on a
    shared position."""
    angle = rng.uniform(0, 2 * np.pi, len(lat))
    r = rng.uniform(0, radius_m, len(lat))
    return (lat + r * np.sin(angle) / EARTH_M_PER_DEG,
            lon + r * np.cos(angle) / (EARTH_M_PER_DEG * np.cos(np.radians(lat))))


def _parse_bounds(text: str) -> tuple[float, float, float, float]:
    a, b = text.split("–")
    lat1, lon1 = map(float, a.split(","))
    lat2, lon2 = map(float, b.split(","))
    return min(lat1, lat2), max(lat1, lat2), min(lon1, lon2), max(lon1, lon2)


def _place_positions(comm: pl.DataFrame, n: int, weights: np.ndarray, rng: np.random.Generator,
                     min_gap_m: float = 150.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions inside their commune's bounding box, at least `min_gap_m` apart so clusters are unambiguous
    (sites lie within `site_offset_m` of their position, so the cleaner's 50 m clustering can recover them).
    150 m is three clustering radii."""
    which = rng.choice(comm.height, size=n, p=weights / weights.sum())
    boxes = np.array([_parse_bounds(b) for b in comm["bounds"].to_list()])
    lat = np.empty(n)
    lon = np.empty(n)
    todo = np.arange(n)
    for attempt in range(500):
        if attempt >= 20:
            # Some wards are too small (or their box is a point) for one more position: try another commune.
            which[todo] = rng.choice(comm.height, size=len(todo), p=weights / weights.sum())
        b = boxes[which[todo]]
        lat[todo] = rng.uniform(b[:, 0], b[:, 1])
        lon[todo] = rng.uniform(b[:, 2], b[:, 3])
        xy = np.column_stack([lat * EARTH_M_PER_DEG, lon * EARTH_M_PER_DEG * np.cos(np.radians(21.6))])
        pairs = cKDTree(xy).query_pairs(min_gap_m, output_type="ndarray")
        if len(pairs) == 0:
            return which, lat, lon
        todo = np.unique(pairs[:, 1])
    raise RuntimeError(f"could not place {n} BTS positions {min_gap_m} m apart: lower bts.positions in the config")


def bts_sites(cfg: SampleConfig, comm: pl.DataFrame, pop2019: np.ndarray, months: list[date],
              rng: np.random.Generator) -> pl.DataFrame:
    """Monthly snapshots of every operator's BTS sites; positions with several operators are shared."""
    b = cfg.bts
    last = len(months) - 1
    n = int(b["positions_2026_09"])
    area_w = np.sqrt(pop2019)
    which, lat, lon = _place_positions(comm, n, area_w, rng)
    opened = np.where(np.arange(n) < b["positions_2021_01"], -1, rng.integers(1, last + 1, n))
    ops = np.array(["Viettel", "VNPT", "MobiFone"])
    first_op = rng.choice(3, size=n, p=[0.5, 0.3, 0.2])
    u = rng.random(n)
    share_start = u < b["shared_at_start"]
    joins = (u >= b["shared_at_start"]) & (u < b["shared_at_start"] + b["joins_over_period"])
    second_at = np.where(share_start, opened, np.where(joins, np.maximum(opened, rng.integers(0, last + 1, n)), 10_000))
    third_at = np.where((second_at < 10_000) & (rng.random(n) < b["third_operator"]),
                        np.maximum(second_at, rng.integers(0, last + 1, n)), 10_000)
    second_op = (first_op + 1 + rng.integers(0, 2, n)) % 3
    third_op = 3 - first_op - second_op
    five = month_index(parse_month(cfg.coverage["fiveg_from"])) - month_index(months[0])
    urban = comm["district_class"].to_numpy()[which] == "urban"
    has5g = urban & (rng.random(n) < 0.5)
    five_at = np.where(has5g, five + rng.integers(0, 24, n), 10_000)

    rows = []
    prefix = {"Viettel": "TNG_", "VNPT": "TNN", "MobiFone": "TN-M"}
    for slot, (op_idx, start) in enumerate(((first_op, opened), (second_op, second_at), (third_op, third_at))):
        site_lat, site_lon = around(lat, lon, b["site_offset_m"], rng)
        rows.append(pl.DataFrame({
            "position_id": np.arange(n), "operator": ops[op_idx], "start": start, "five_at": five_at,
            "lat": site_lat, "lon": site_lon,
            "commune_code": comm["commune_code"].to_numpy()[which],
            "district_code": comm["district_code"].to_numpy()[which],
            "legacy": (opened < 0) & (slot == 0),
        }))
    sites = pl.concat(rows).filter(pl.col("start") < 10_000)
    sites = sites.sort("operator", "position_id").with_columns(
        site_id=pl.concat_str(pl.col("operator").replace_strict(prefix),
                              (pl.int_range(pl.len()).over("operator") + 1).cast(pl.String).str.zfill(4)))
    snap = []
    for i, m in enumerate(months):
        s = sites.filter(pl.col("start") <= i).with_columns(
            as_of=pl.lit(month_end(m)), period=pl.lit(m),
            technology=pl.when(pl.col("five_at") <= i).then(pl.lit("4G/5G"))
            .when(pl.col("legacy")).then(pl.lit("2G/3G/4G")).otherwise(pl.lit("4G")))
        snap.append(s)
    return (pl.concat(snap).select("period", "as_of", "operator", "site_id", "lat", "lon", "commune_code",
                                   "district_code", "technology", "position_id")
            .sort("period", "operator", "site_id"))
