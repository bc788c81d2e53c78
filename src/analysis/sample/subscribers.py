"""Ground truth for subscriptions: household fibre, other fixed broadband, mobile broadband, voice, smartphones."""
from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from analysis.periods import interpolate_yearly, month_index, parse_month
from analysis.sample.settings import SampleConfig


def split_integers(totals: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Split each total (..., ) over the last axis of shares (..., K) into integers that sum exactly."""
    raw = totals[..., None] * shares
    out = np.floor(raw).astype(np.int64)
    short = (totals - out.sum(axis=-1)).astype(np.int64)
    order = np.argsort(-(raw - out), axis=-1, kind="stable")
    ranks = np.argsort(order, axis=-1, kind="stable")
    out += ranks < short[..., None]
    return out


def _operator_shares(cfg: SampleConfig, key: str, classes: np.ndarray, rng: np.random.Generator,
                     exclude_in_mountain: tuple[str, ...] = ()) -> tuple[list[str], np.ndarray]:
    base = cfg.operators[key]
    names = list(base)
    alpha = np.array([base[n] for n in names]) * cfg.operators["share_concentration"]
    shares = rng.dirichlet(alpha, size=len(classes))
    for name in exclude_in_mountain:
        shares[classes == "mountain", names.index(name)] = 0.0
    return names, shares / shares.sum(axis=1, keepdims=True)


def fibre_share(cfg: SampleConfig, classes: np.ndarray, households_at_cal: np.ndarray, t: np.ndarray,
                rng: np.random.Generator) -> np.ndarray:
    """Household FTTH share (months × communes): logistic per commune, calibrated on the province's 72%."""
    f = cfg.fibre
    s0 = np.array([f["baseline_by_class"][c] for c in classes]) + rng.normal(0, f["commune_sd"], len(classes))
    ceiling = np.array([f["ceiling_by_class"][c] for c in classes])
    k = np.array([f["speed_by_class"][c] for c in classes])
    for _ in range(5):  # scale levels until the household-weighted province share is the published one
        s0 = np.clip(s0, 0.15, ceiling - 0.03)
        s0 *= f["province_share"] / np.average(s0, weights=households_at_cal)
    s0 = np.clip(s0, 0.15, ceiling - 0.03)
    t_cal = month_index(parse_month(f["calibration_month"])) - month_index(parse_month(cfg.first_month))
    midpoint = t_cal + np.log(ceiling / s0 - 1) / k
    return ceiling / (1 + np.exp(-k * (t[:, None] - midpoint)))


def build(cfg: SampleConfig, comm: pl.DataFrame, pop: pl.DataFrame, months: list[date],
          rng: np.random.Generator) -> pl.DataFrame:
    """The `subscribers` table as the operators would have reported it, had they made no mistake."""
    codes = comm["commune_code"].to_list()
    classes = comm["district_class"].to_numpy()
    monthly = interpolate_yearly(pop, ["commune_code"], "households", months).join(
        interpolate_yearly(pop, ["commune_code"], "population", months), on=["commune_code", "period"])
    wide = lambda col: (monthly.pivot(on="commune_code", index="period", values=col).sort("period")
                        .select(codes).to_numpy())
    hh, people = wide("households"), wide("population")
    t = np.arange(len(months), dtype=float)
    cal = month_index(parse_month(cfg.fibre["calibration_month"])) - month_index(months[0])
    series: list[tuple[str, str | None, np.ndarray, str]] = []  # service, segment, counts (M×C), share key

    f = cfg.fibre
    share = fibre_share(cfg, classes, hh[cal], t, rng)
    series.append(("ftth", "household", np.round(share * hh), "fixed_share"))
    biz = np.linspace(*f["business_per_household"], len(months))[:, None] * np.where(classes == "urban", 1.5, 0.7)
    series.append(("ftth", "business", np.round(biz * hh), "fixed_share"))
    series.append(("xdsl", "household", np.round(hh * f["xdsl_per_household"] * np.exp(-f["xdsl_decay"] * t)[:, None]), "copper"))
    cable = hh * f["cable_per_household"] * np.exp(-f["cable_decay"] * t)[:, None] * (classes == "urban")
    series.append(("cable", "household", np.round(cable), "copper"))

    mob = cfg.mobile
    rel = np.array([mob["relative_by_class"][c] for c in classes]) * rng.normal(1, 0.03, len(codes))
    path = mob["mbb_per_100"]["start"] + mob["mbb_per_100"]["per_month"] * t
    # Scale the commune levels so the population-weighted province value follows the configured path.
    per100 = path[:, None] * rel * people.sum(axis=1, keepdims=True) / (rel * people).sum(axis=1, keepdims=True)
    series.append(("mobile_broadband", None, np.round(people * per100 / 100), "mobile_share"))
    voice = np.round(people * mob["voice_per_100"] / 100 * np.where(classes == "urban", 1.08, 0.96))
    series.append(("mobile_voice", None, voice, "mobile_share"))
    sp = (mob["smartphone_share"]["start"] + mob["smartphone_share"]["per_month"] * t)[:, None]
    sp = np.clip(sp * np.where(classes == "mountain", 0.94, 1.01), 0, 0.985)
    series.append(("smartphone", None, np.round(voice * sp), "mobile_share"))

    fixed_ops, fixed_sh = _operator_shares(cfg, "fixed_share", classes, rng, exclude_in_mountain=("FPT",))
    mobile_ops, mobile_sh = _operator_shares(cfg, "mobile_share", classes, rng)
    copper_ops, copper_sh = ["VNPT", "Viettel"], np.tile([0.8, 0.2], (len(codes), 1))
    frames = []
    for service, segment, counts, key in series:
        ops, sh = {"fixed_share": (fixed_ops, fixed_sh), "mobile_share": (mobile_ops, mobile_sh),
                   "copper": (copper_ops, copper_sh)}[key]
        split = split_integers(counts.astype(np.int64), np.broadcast_to(sh, counts.shape + (len(ops),)))
        for j, op in enumerate(ops):
            present = sh[:, j] > 0
            if service == "cable":
                present &= classes == "urban"
            frames.append(pl.DataFrame({
                "period": np.repeat(np.array(months, dtype="datetime64[D]"), present.sum()),
                "operator": op,
                "commune_code": np.tile(np.array(codes)[present], len(months)),
                "service": service, "segment": segment,
                "subscribers": split[:, present, j].reshape(-1),
            }, schema_overrides={"segment": pl.String}))
    out = pl.concat(frames).with_columns(pl.col("period").cast(pl.Date))
    return (out.join(comm.select("commune_code", "district_code"), on="commune_code")
            .with_columns(province_code=pl.lit(cfg.province_code))
            .select("period", "operator", "province_code", "district_code", "commune_code", "service", "segment",
                    "subscribers")
            .sort("period", "operator", "commune_code", "service", "segment"))
