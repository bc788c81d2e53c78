"""Sample geography: the official communes, a hamlet registry spread over them, and yearly population."""
from __future__ import annotations

import numpy as np
import polars as pl

from analysis.areas import legacy_units
from analysis.sample.settings import SampleConfig

# Hamlet names seen across the province's xóm lists (Tày and Kinh names); combined with an index when a
# commune needs more than the list holds.
XOM_NAMES = (
    "Na Mao", "Khuôn Lân", "Làng Đồng", "Bản Ngoài", "Bản Trong", "Đồng Chùa", "Cây Thị", "Làng Mới",
    "Tân Lập", "Đồng Tâm", "Na Hoàng", "Khe Cốc", "Bãi Bông", "Nà Lẹng", "Phú Thịnh", "Vũ Chấn", "Đồng Bòng",
    "Làng Chẽ", "Cầu Tre", "Thâm Trung", "Bản Cái", "Pháng", "Kim Sơn", "Ao Sen", "Đồng Kem", "Hang Hon",
    "Cao Sơn", "Trung Thành", "Bình Minh", "Hợp Thành", "Đèo Khế", "Lũng Hoài", "Tiền Phong", "Gốc Gạo",
)


def communes(cfg: SampleConfig) -> pl.DataFrame:
    """Communes with their district, unit type and the district class the calibration uses."""
    u = legacy_units(cfg.province_code)
    return u.select(
        commune_code="wardCode", commune="ward", commune_type="wardType", lat="wardLat", lon="wardLon",
        bounds="wardBounds", district_code="districtCode", district="district",
    ).with_columns(
        district_class=pl.col("district_code").map_elements(cfg.district_class_of, return_dtype=pl.String),
        urban=pl.col("commune_type").is_in(["Phường", "Thị trấn"]),
    )


def _allocate(total: int, weights: np.ndarray, minimum: int) -> np.ndarray:
    """Integers summing to `total`, at least `minimum` each, proportional to weights (largest remainder)."""
    base = np.full(len(weights), minimum)
    rest = total - base.sum()
    share = weights / weights.sum() * rest
    out = base + np.floor(share).astype(int)
    short = total - out.sum()
    out[np.argsort(-(share - np.floor(share)))[:short]] += 1
    return out


def population(cfg: SampleConfig, comm: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Population, adults and households by commune and year, summing to the district figures in the census year."""
    pop_cfg = cfg.population
    rows = []
    census_year = pop_cfg["census_year"]
    for district_code, census in pop_cfg["census"].items():
        d = comm.filter(pl.col("district_code") == district_code)
        weights = rng.dirichlet(np.full(d.height, 4.0)) * np.where(d["urban"].to_numpy(), 1.6, 1.0)
        base = _allocate(int(census), weights, 1500)
        growth = pop_cfg["growth"][cfg.district_class_of(district_code)]
        adult = np.clip(rng.normal(pop_cfg["adult_share"], 0.02, d.height), 0.68, 0.82)
        hh_size = np.clip(rng.normal(pop_cfg["household_size"], pop_cfg["household_size_sd"], d.height), 3.4, 4.8)
        for year in range(pop_cfg["years"][0], pop_cfg["years"][1] + 1):
            p = np.round(base * (1 + growth) ** (year - census_year)).astype(np.int64)
            rows.append(pl.DataFrame({
                "commune_code": d["commune_code"], "district_code": d["district_code"], "year": year,
                "population": p, "adults": np.round(p * adult).astype(np.int64),
                "households": np.round(p / hh_size).astype(np.int64),
            }))
    return pl.concat(rows).sort("commune_code", "year")


def hamlet_registry(cfg: SampleConfig, comm: pl.DataFrame, pop: pl.DataFrame,
                    rng: np.random.Generator) -> pl.DataFrame:
    """The official hamlet list: xóm in rural communes, tổ dân phố in wards and townships, by population."""
    p2019 = comm.join(pop.filter(pl.col("year") == 2019), on=["commune_code", "district_code"])
    out = []
    for urban, total, label in ((False, cfg.hamlets["xom"], "Xóm"), (True, cfg.hamlets["to_dan_pho"], "Tổ dân phố")):
        part = p2019.filter(pl.col("urban") == urban)
        counts = _allocate(total, np.sqrt(part["population"].to_numpy().astype(float)), 4)
        for row, n in zip(part.iter_rows(named=True), counts):
            if urban:
                names = [f"{label} {i}" for i in range(1, n + 1)]
            else:
                picks = rng.permutation(len(XOM_NAMES))
                names = [f"{label} {XOM_NAMES[picks[i]]}" if i < len(XOM_NAMES) else f"{label} {i + 1}"
                         for i in range(n)]
            out.append(pl.DataFrame({
                "hamlet_code": [f"{row['commune_code']}{i + 1:03d}" for i in range(n)],
                "hamlet": names, "commune_code": row["commune_code"], "district_code": row["district_code"],
                "district_class": row["district_class"], "urban": urban,
            }))
    return pl.concat(out).sort("hamlet_code")
