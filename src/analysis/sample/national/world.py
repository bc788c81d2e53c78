"""The national set's ground truth, built with numpy over all communes at once (no loop over rows).

The whole country is always built from the seed, and a share keeps some provinces: the tenth of the set is the
same data as the corresponding provinces of the whole, so the two sizes measure one workload at two scales.
"""
from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from analysis.areas import national_units
from analysis.periods import month_index, month_range, parse_month
from analysis.sample.geography import XOM_NAMES
from analysis.sample.national.settings import NationalConfig
from analysis.sample.network import NEVER, around



def months(cfg: NationalConfig) -> list[date]:
    return month_range(parse_month(cfg.first_month), parse_month(cfg.last_month))


def provinces_for(share: float, rng: np.random.Generator) -> list[str]:
    """Provinces in a seeded order, taken until they hold `share` of all communes (all of them at 1)."""
    u = national_units()
    counts = u.group_by("provinceCode").len().sort("provinceCode")
    order = rng.permutation(counts.height)
    cum = np.cumsum(counts["len"].to_numpy()[order]) / u.height
    keep = order[: int(np.searchsorted(cum, share - 1e-9)) + 1]
    return sorted(counts["provinceCode"].to_numpy()[keep].tolist())


def communes(cfg: NationalConfig, rng: np.random.Generator) -> pl.DataFrame:
    """Every commune with its 2019 population, adults' share and household size (assumptions in the config)."""
    p = cfg.population
    u = national_units()
    urban = u["wardType"].is_in(["Phường", "Thị trấn"]).to_numpy()
    w = rng.lognormal(0.0, p["sigma"], u.height) * np.where(urban, p["urban_weight"], 1.0)
    pop = np.maximum(np.round(w / w.sum() * p["total_2019"]), p["minimum"]).astype(np.int64)
    return u.select(
        province_code="provinceCode", district_code="districtCode", commune_code="wardCode",
        lat="wardLat", lon="wardLon",
    ).with_columns(
        urban=pl.Series(urban), pop2019=pl.Series(pop),
        adult_share=pl.Series(np.clip(rng.normal(p["adult_share"], 0.02, u.height), 0.68, 0.84)),
        household_size=pl.Series(np.clip(rng.normal(p["household_size"], p["household_size_sd"], u.height), 2.8, 4.8)),
    )


def population(cfg: NationalConfig, comm: pl.DataFrame) -> pl.DataFrame:
    first, last = parse_month(cfg.first_month).year, parse_month(cfg.last_month).year
    frames = []
    for year in range(first, last + 1):
        frames.append(comm.select(
            "commune_code", "district_code", year=pl.lit(year),
            population=(pl.col("pop2019") * (1 + cfg.population["growth"]) ** (year - 2019)).round().cast(pl.Int64),
        ).with_columns(
            adults=(pl.col("population") * comm["adult_share"]).round().cast(pl.Int64),
            households=(pl.col("population") / comm["household_size"]).round().cast(pl.Int64)))
    return pl.concat(frames).sort("commune_code", "year")


def hamlets(cfg: NationalConfig, comm: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Thôn (named or numbered) in rural communes, tổ dân phố in wards and townships, more where more people live."""
    root = np.sqrt(comm["pop2019"].to_numpy().astype(float))
    n = np.maximum(np.round(root / root.sum() * cfg.hamlets["total"]), cfg.hamlets["minimum"]).astype(int)
    commune = np.repeat(comm["commune_code"].to_numpy(), n)
    urban = np.repeat(comm["urban"].to_numpy(), n)
    index = np.concatenate([np.arange(1, k + 1) for k in n])
    # A rural commune names its first hamlets from the list (in a shuffled order of its own), numbers the rest.
    pick = np.concatenate([rng.permutation(len(XOM_NAMES))[: min(k, len(XOM_NAMES))] for k in n])
    named = index <= len(XOM_NAMES)
    pick_full = np.zeros(len(index), dtype=int)
    pick_full[named] = pick
    names = np.where(urban, np.char.add("Tổ dân phố ", index.astype(str)),
                     np.where(named & (rng.random(len(index)) < 0.6), np.char.add("Thôn ", np.array(XOM_NAMES)[pick_full]),
                              np.char.add("Thôn ", index.astype(str))))
    out = pl.DataFrame({"commune_code": commune, "hamlet": names, "index": index, "urban": urban})
    return (out.with_columns(hamlet_code=pl.col("commune_code") + pl.col("index").cast(pl.String).str.zfill(3))
            .join(comm.select("commune_code", "district_code", "province_code"), on="commune_code")
            .select("hamlet_code", "hamlet", "commune_code", "district_code", "province_code", "urban")
            .sort("hamlet_code"))


def _path(anchors: dict[str, float], ms: list[date]) -> np.ndarray:
    """Linear through the anchor months, extended beyond them by the same line (two anchors) or flat."""
    xs = np.array([month_index(parse_month(k)) for k in anchors], dtype=float)
    ys = np.array(list(anchors.values()), dtype=float)
    t = np.array([month_index(m) for m in ms], dtype=float)
    if len(xs) == 2:
        return ys[0] + (ys[1] - ys[0]) * (t - xs[0]) / (xs[1] - xs[0])
    return np.interp(t, xs, ys)


def _split(total: np.ndarray, shares: dict[str, float], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Each commune's operator shares (Dirichlet around the national ones), applied to every month."""
    names = list(shares)
    alpha = np.array([shares[k] for k in names]) * 60
    w = rng.dirichlet(alpha, size=total.shape[0])
    return {k: np.round(total * w[:, i][:, None]).astype(np.int64) for i, k in enumerate(names)}


def _fibre_logits(cfg: NationalConfig, hh_all: np.ndarray, offset: np.ndarray, ms: list[date]) -> np.ndarray:
    """The national logit path, solved at each anchor so the household-weighted share hits the published figure
    with that month's households."""
    f = cfg.fibre
    ceiling = f["ceiling"]
    solved = {}
    for month, target in f["anchors"].items():
        hh = hh_all[:, ms.index(parse_month(month))]
        lo, hi = -10.0, 10.0
        for _ in range(60):
            mid = (lo + hi) / 2
            share = (hh * ceiling / (1 + np.exp(-(mid + offset)))).sum() / hh.sum()
            lo, hi = (mid, hi) if share < target else (lo, mid)
        solved[month] = (lo + hi) / 2
    return _path(solved, ms)


def subscribers(cfg: NationalConfig, comm: pl.DataFrame, pop: pl.DataFrame, ms: list[date],
                rng: np.random.Generator) -> pl.DataFrame:
    """period, operator, province/district/commune, service, segment, subscribers: the operators' monthly truth."""
    years = np.array([m.year for m in ms])
    wide = pop.pivot(on="year", index="commune_code", values=["population", "households"]).sort("commune_code")
    people = np.column_stack([wide[f"population_{y}"].to_numpy() for y in years]).astype(float)
    hh = np.column_stack([wide[f"households_{y}"].to_numpy() for y in years]).astype(float)
    urban = comm["urban"].to_numpy()
    f, mob = cfg.fibre, cfg.mobile
    offset = rng.normal(0, f["commune_sd"], comm.height) + np.where(urban, f["urban_lift"], 0.0)
    offset -= offset.mean()
    logit = _fibre_logits(cfg, hh, offset, ms)
    share = f["ceiling"] / (1 + np.exp(-(logit[None, :] + offset[:, None])))
    t = np.arange(len(ms))
    series: dict[tuple[str, str, str | None], np.ndarray] = {}
    for op, v in _split(hh * share, cfg.operators["fixed"], rng).items():
        series[(op, "ftth", "household")] = v
    for op, v in _split(hh * f["business_per_household"], cfg.operators["fixed"], rng).items():
        series[(op, "ftth", "business")] = v
    series[("VNPT", "xdsl", "household")] = np.round(hh * f["xdsl_per_household"] * np.exp(-0.03 * t)).astype(np.int64)
    factor = np.where(urban, mob["urban_factor"], mob["rural_factor"]) * rng.lognormal(0, 0.05, comm.height)
    factor /= (factor * people[:, 0]).sum() / people[:, 0].sum()
    mbb = people * factor[:, None] * _path(mob["mbb_anchors"], ms)[None, :] / 100
    voice = people * factor[:, None] * mob["voice_per_100"] / 100
    sp = mob["smartphone_share"]
    smart_share = np.clip(sp["2023-06"] + sp["per_month"] * (np.array([month_index(m) for m in ms])
                                                            - month_index(date(2023, 6, 1))), 0.5, 0.97)
    shares = cfg.operators["mobile"]
    for service, total in (("mobile_broadband", mbb), ("mobile_voice", voice), ("smartphone", voice * smart_share)):
        for op, v in _split(total, shares, np.random.default_rng(rng.integers(1 << 32))).items():
            series[(op, service, None)] = v
    # The same seed for the three mobile splits would tie them; each draws its own, but an operator's share of
    # smartphones may exceed its voice share a little, as real market shares do.
    n_c, n_m = comm.height, len(ms)
    frames = []
    for (op, service, segment), v in series.items():
        frames.append(pl.DataFrame({
            "period": np.tile(np.array(ms, dtype="datetime64[D]"), n_c), "operator": op,
            "commune_code": np.repeat(comm["commune_code"].to_numpy(), n_m),
            "service": service, "segment": segment, "subscribers": v.reshape(-1)},
            schema_overrides={"segment": pl.String}))
    return (pl.concat(frames).with_columns(pl.col("period").cast(pl.Date))
            .join(comm.select("commune_code", "district_code", "province_code"), on="commune_code")
            .select("period", "operator", "province_code", "district_code", "commune_code", "service", "segment",
                    "subscribers")
            .sort("period", "operator", "commune_code", "service", "segment", nulls_last=True))


def _late(n: int, start_share: float, end_share: float, last: int, rng: np.random.Generator) -> np.ndarray:
    """First month per hamlet: -1 for most; a `start_share` start later, all but `end_share` within the series."""
    first = np.full(n, -1)
    late = rng.random(n) < start_share
    first[late] = np.where(rng.random(late.sum()) < end_share / start_share, NEVER, rng.integers(1, last + 1, late.sum()))
    return first


def coverage(cfg: NationalConfig, ham: pl.DataFrame, ms: list[date], rng: np.random.Generator) -> pl.DataFrame:
    """Per reporting operator, quarter-end month and hamlet: FTTH available, 4G and 5G coverage."""
    c = cfg.coverage
    n, last = ham.height, len(ms) - 1
    urban = ham["urban"].to_numpy()
    ftth_first = _late(n, c["ftth_unserved_start"], c["ftth_unserved_end"], last, rng)
    mbb_first = _late(n, c["mbb_uncovered_start"], c["mbb_uncovered_end"], last, rng)
    follow = lambda p: np.where(rng.random(n) < p, rng.integers(0, 37, n), NEVER)
    lead = rng.random(n) < 0.6
    ftth = {"VNPT": np.where(lead, ftth_first, ftth_first + follow(0.95)),
            "Viettel": np.where(~lead, ftth_first, ftth_first + follow(0.85)),
            "MobiFone": np.where(rng.random(n) < 0.05, np.maximum(ftth_first, rng.integers(-30, last + 1, n)), NEVER)}
    g4 = {"Viettel": mbb_first, "VNPT": mbb_first + follow(0.9), "MobiFone": mbb_first + follow(0.75)}
    five = month_index(parse_month(c["fiveg_from"])) - month_index(ms[0])
    g5_base = np.where(urban, five + rng.integers(0, 25, n),
                       np.where(rng.random(n) < 0.2, five + rng.integers(6, 25, n), NEVER))
    g5 = {"Viettel": g5_base, "VNPT": np.where(rng.random(n) < 0.7, g5_base + rng.integers(0, 12, n), NEVER),
          "MobiFone": np.where(rng.random(n) < 0.4, g5_base + rng.integers(3, 18, n), NEVER)}
    quarter_ends = [i for i, m in enumerate(ms) if m.month % 3 == 0] if c["quarterly"] else list(range(len(ms)))
    t = np.array(quarter_ends)[:, None]
    frames = []
    for op in cfg.operators["coverage"]:
        f, m4 = t >= ftth[op][None, :], t >= g4[op][None, :]
        frames.append(pl.DataFrame({
            "period": np.repeat(np.array([ms[i] for i in quarter_ends], dtype="datetime64[D]"), n),
            "operator": op, "hamlet_code": np.tile(ham["hamlet_code"].to_numpy(), len(quarter_ends)),
            "ftth": f.reshape(-1), "mbb_4g": m4.reshape(-1), "mbb_5g": ((t >= g5[op][None, :]) & m4).reshape(-1)}))
    return (pl.concat(frames).with_columns(pl.col("period").cast(pl.Date))
            .join(ham.select("hamlet_code", "commune_code", "district_code", "province_code"), on="hamlet_code")
            .with_columns(mbb=pl.col("mbb_4g") | pl.col("mbb_5g"))
            .sort("period", "operator", "hamlet_code"))


def _lattice(comm: pl.DataFrame, which: np.ndarray, grid: float) -> tuple[np.ndarray, np.ndarray]:
    """Each position on its own lattice cell near its commune's centre, so positions are at least a cell apart
    and the cleaner's 50 m clustering cannot join two of them (cells are taken in spiral order)."""
    ring = [(0, 0)] + [(dx, dy) for r in range(1, 40) for dx in range(-r, r + 1) for dy in range(-r, r + 1)
                       if max(abs(dx), abs(dy)) == r]
    base_i = np.round(comm["lat"].to_numpy() / grid).astype(np.int64)
    base_j = np.round(comm["lon"].to_numpy() / grid).astype(np.int64)
    taken: set[tuple[int, int]] = set()
    next_k = np.zeros(comm.height, dtype=np.int64)
    cells = np.empty((len(which), 2), dtype=np.int64)
    for p, c in enumerate(which):  # one pass over ~100k positions: the set keeps cells unique nationally
        k = next_k[c]
        while True:
            if k >= len(ring):
                raise ValueError(f"more BTS positions near commune {comm['commune_code'][int(c)]} than the lattice "
                                 "holds around it: lower bts.positions_per_10k_people or bts.grid_deg")
            dx, dy = ring[k]
            cell = (int(base_i[c]) + dx, int(base_j[c]) + dy)
            k += 1
            if cell not in taken:
                break
        next_k[c] = k
        taken.add(cell)
        cells[p] = cell
    return cells[:, 0] * grid, cells[:, 1] * grid


def bts_sites(cfg: NationalConfig, comm: pl.DataFrame, ms: list[date], rng: np.random.Generator) -> pl.DataFrame:
    """Quarter-end lists of every mobile operator's sites; positions with two or three operators are shared."""
    b = cfg.bts
    last = len(ms) - 1
    per_commune = np.maximum(np.round(comm["pop2019"].to_numpy() / 10_000 * b["positions_per_10k_people"]
                                      * (1 + b["growth"])), 1).astype(int)
    which = np.repeat(np.arange(comm.height), per_commune)
    n = len(which)
    lat, lon = _lattice(comm, which, b["grid_deg"])
    jitter = b["grid_deg"] * 0.05  # a twentieth of a cell: positions stay more than 300 m apart
    lat = lat + rng.uniform(-jitter, jitter, n)
    lon = lon + rng.uniform(-jitter, jitter, n)
    opened = np.where(rng.random(n) < 1 / (1 + b["growth"]), -1, rng.integers(1, last + 1, n))
    ops = np.array(list(cfg.operators["mobile"]))
    p = np.array(list(cfg.operators["mobile"].values()))
    first_op = rng.choice(len(ops), size=n, p=p / p.sum())
    shared = rng.random(n) < b["shared"]
    second_at = np.where(shared, np.where(rng.random(n) < 0.5, opened, np.maximum(opened, rng.integers(0, last + 1, n))),
                         NEVER)
    third_at = np.where(shared & (rng.random(n) < b["third_operator"]),
                        np.maximum(second_at, rng.integers(0, last + 1, n)), NEVER)
    second_op = (first_op + 1 + rng.integers(0, len(ops) - 1, n)) % len(ops)
    third_op = np.where((second_op + 1) % len(ops) == first_op, (second_op + 2) % len(ops), (second_op + 1) % len(ops))
    five = month_index(parse_month(cfg.coverage["fiveg_from"])) - month_index(ms[0])
    urban = comm["urban"].to_numpy()[which]
    five_at = np.where(urban & (rng.random(n) < 0.5), five + rng.integers(0, 24, n), NEVER)
    frames = []
    for op_idx, start in ((first_op, opened), (second_op, second_at), (third_op, third_at)):
        site_lat, site_lon = around(lat, lon, b["site_offset_m"], rng)
        frames.append(pl.DataFrame({
            "position_id": np.arange(n), "operator": ops[op_idx], "start": start, "five_at": five_at,
            "lat": site_lat, "lon": site_lon,
            "commune_code": comm["commune_code"].to_numpy()[which]}))
    prefix = {"Viettel": "VT", "VNPT": "VNP", "MobiFone": "MBF", "Vietnamobile": "VNM"}
    sites = (pl.concat(frames).filter(pl.col("start") < NEVER).sort("operator", "position_id")
             .with_columns(site_id=pl.concat_str(pl.col("operator").replace_strict(prefix),
                                                 (pl.int_range(pl.len()).over("operator") + 1)
                                                 .cast(pl.String).str.zfill(6))))
    quarter_ends = [i for i, m in enumerate(ms) if m.month % 3 == 0]
    snaps = [sites.filter(pl.col("start") <= i).with_columns(
        period=pl.lit(ms[i]), technology=pl.when(pl.col("five_at") <= i).then(pl.lit("4G/5G")).otherwise(pl.lit("4G")))
        for i in quarter_ends]
    return (pl.concat(snaps)
            .join(comm.select("commune_code", "district_code", "province_code"), on="commune_code")
            .with_columns(as_of=pl.col("period").dt.month_end())
            .select("period", "as_of", "operator", "site_id", "lat", "lon", "province_code", "district_code",
                    "commune_code", "technology", "position_id")
            .sort("period", "operator", "site_id"))


def speed_tests(cfg: NationalConfig, comm: pl.DataFrame, ms: list[date], keep: np.ndarray,
                rng: np.random.Generator) -> list[pl.DataFrame]:
    """One frame a month of i-Speed measurements; drawn for the whole country, then the kept communes taken, so
    a share of the set holds exactly the tests of its provinces. Device ids and IPs are the personal data."""
    s = cfg.speed
    g = (1 + s["growth_per_month"]) ** np.arange(len(ms))
    per_month = np.round(s["tests"] * g / g.sum()).astype(int)
    urban = comm["urban"].to_numpy()
    weight = comm["pop2019"].to_numpy() * np.where(urban, 1.5, 1.0)
    cum = np.cumsum(weight) / weight.sum()
    factor = np.where(urban, 1.15, 0.85)
    means = {"fixed": _path(s["fixed_mean_mbps"], ms), "mobile": _path(s["mobile_mean_mbps"], ms)}
    shares = {"fixed": cfg.operators["fixed"], "mobile": cfg.operators["mobile"]}
    ops = sorted(set(shares["fixed"]) | set(shares["mobile"]))
    prefix = {"VNPT": "113.160", "Viettel": "27.72", "FPT": "42.112", "MobiFone": "14.224", "Vietnamobile": "103.199"}
    serial = 0
    out = []
    for i, m in enumerate(ms):
        n = int(per_month[i])
        where = np.minimum(np.searchsorted(cum, rng.random(n)), comm.height - 1)
        mobile = rng.random(n) < s["mobile_share"]
        op = np.empty(n, dtype=np.int64)
        for net, mask in (("fixed", ~mobile), ("mobile", mobile)):
            names = list(shares[net])
            p = np.array([shares[net][k] for k in names])
            op[mask] = np.array([ops.index(k) for k in names])[rng.choice(len(names), size=mask.sum(), p=p / p.sum())]
        mean = np.where(mobile, means["mobile"][i], means["fixed"][i]) * factor[where]
        down = rng.lognormal(np.log(mean) - s["sigma"] ** 2 / 2, s["sigma"])
        up = down * np.where(mobile, 0.35, 0.85) * rng.lognormal(0, 0.2, n)
        latency = rng.gamma(4.0, np.where(mobile, 9.0, 3.0)) + 2
        seconds = rng.integers(0, _days(m) * 86400, n)
        device = rng.integers(0, s["devices"], n)
        a, b = rng.integers(0, 256, n), rng.integers(1, 255, n)
        frame = pl.DataFrame({
            "serial": np.arange(serial, serial + n), "offset_s": seconds, "op": op, "mobile": mobile,
            "download_mbps": np.round(down, 2), "upload_mbps": np.round(up, 2), "latency_ms": np.round(latency, 1),
            "commune_idx": where, "device": device, "a": a, "b": b})
        serial += n
        frame = frame.filter(pl.Series(keep[where]))
        out.append(frame.select(
            test_id=pl.format("IS{}", pl.col("serial").cast(pl.String).str.zfill(9)),
            ts=pl.lit(np.datetime64(m, "s")) + pl.duration(seconds=pl.col("offset_s")),
            operator=pl.col("op").replace_strict(list(range(len(ops))), ops, return_dtype=pl.String),
            network=pl.when(pl.col("mobile")).then(pl.lit("mobile")).otherwise(pl.lit("fixed")),
            download_mbps="download_mbps", upload_mbps="upload_mbps", latency_ms="latency_ms",
            commune_code=pl.col("commune_idx").replace_strict(np.arange(comm.height), comm["commune_code"].to_numpy(),
                                                              return_dtype=pl.String),
            device_id=pl.format("D{}", pl.col("device").cast(pl.String).str.zfill(10)),
            ip=pl.format("{}.{}.{}", pl.col("op").replace_strict(list(range(len(ops))), [prefix[o] for o in ops],
                                                                 return_dtype=pl.String), "a", "b"),
        ).with_columns(period=pl.lit(m)).join(comm.select("commune_code", "district_code", "province_code"),
                                             on="commune_code", maintain_order="left"))
    return out


def _days(m: date) -> int:
    nxt = date(m.year + (m.month == 12), m.month % 12 + 1, 1)
    return (nxt - m).days
