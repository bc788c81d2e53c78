"""Ground truth for i-Speed measurements: one row per test, with the device id and IP that cleaning must drop."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import polars as pl

from analysis.periods import month_end, month_index, parse_month
from analysis.sample.settings import SampleConfig

# Public address blocks each operator is known to assign subscribers; only the first two octets matter here.
IP_PREFIX = {"VNPT": "113.160", "Viettel": "27.72", "FPT": "42.112", "MobiFone": "14.224"}


def mean_path(anchors: dict[str, float], months: list[date]) -> np.ndarray:
    """Piecewise-linear mean speed through the configured anchor months."""
    xs = [month_index(parse_month(k)) for k in anchors]
    return np.interp([month_index(m) for m in months], xs, list(anchors.values()))


def build(cfg: SampleConfig, comm: pl.DataFrame, pop2019: np.ndarray, months: list[date],
          rng: np.random.Generator, id_prefix: str = "IS") -> pl.DataFrame:
    """One row per test; `id_prefix` keeps another province's test ids apart from these."""
    s = cfg.speed
    classes = comm["district_class"].to_numpy()
    weight = pop2019 * np.where(classes == "urban", 1.5, 1.0)
    weight = weight / weight.sum()
    class_factor = np.select([classes == "urban", classes == "mountain"], [1.15, 0.7], 1.0)
    devices = np.array([f"{x:016x}" for x in rng.integers(0, 2**63, s["devices"])])
    frames = []
    serial = 0
    for network, key, ops in (("fixed", "fixed_mean_mbps", cfg.operators["fixed_share"]),
                              ("mobile", "mobile_mean_mbps", cfg.operators["mobile_share"])):
        means = mean_path(s[key], months)
        names, p = list(ops), np.array(list(ops.values()))
        for i, m in enumerate(months):
            n = int(round(s["tests_per_month"][network] * (1 + s["tests_per_month"]["growth_per_month"]) ** i))
            where = rng.choice(comm.height, size=n, p=weight)
            # Scale so the province mean of this month's tests is the configured mean.
            f = class_factor[where] / class_factor[where].mean()
            mu = np.log(means[i] * f) - s["sigma"] ** 2 / 2
            down = rng.lognormal(mu, s["sigma"])
            up = down * (0.85 if network == "fixed" else 0.35) * rng.lognormal(0, 0.2, n)
            latency = rng.gamma(4.0, 3.0 if network == "fixed" else 9.0, n) + 2
            seconds = rng.integers(0, (month_end(m) - m).days * 86400 + 86400, n)
            op = rng.choice(len(names), size=n, p=p / p.sum())
            frames.append(pl.DataFrame({
                "test_id": [f"{id_prefix}{serial + k:09d}" for k in range(n)],
                "ts": [datetime(m.year, m.month, 1) + timedelta(seconds=int(x)) for x in seconds],
                "operator": np.array(names)[op], "network": network,
                "download_mbps": np.round(down, 2), "upload_mbps": np.round(up, 2),
                "latency_ms": np.round(latency, 1),
                "commune_code": comm["commune_code"].to_numpy()[where],
                "district_code": comm["district_code"].to_numpy()[where],
                "device_id": devices[rng.integers(0, len(devices), n)],
                "ip": [f"{IP_PREFIX[names[o]]}.{a}.{b}" for o, a, b in
                       zip(op, rng.integers(0, 256, n), rng.integers(1, 255, n))],
            }))
            serial += n
    return (pl.concat(frames).with_columns(period=pl.col("ts").dt.truncate("1mo").cast(pl.Date))
            .sort("ts"))
