"""`python -m analysis sample`: the whole raw folder and its ground truth, from a seed."""
from __future__ import annotations

import json
import shutil
import time
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path

import numpy as np
import polars as pl

from analysis.areas import LEGACY_VALID_TO, reference_areas, units_on
from analysis.errors import AnalysisError
from analysis.periods import month_range, parse_month
from analysis.sample import geography, network, reform, registers, sources, speed, subscribers
from analysis.sample.layout import Writer
from analysis.sample.mess import Mess, unit_type
from analysis.sample.render import Renderer
from analysis.sample.settings import SampleConfig, load

# One random stream per component, so that changing one part of the generator leaves the others' draws alone.
STREAMS = {"population": 1, "hamlets": 2, "subscribers": 3, "coverage": 4, "bts": 5, "speed": 6, "survey": 7,
           "apps": 8, "mess": 9, "reform": 10, "joined": 11}


def build_truth(cfg: SampleConfig, seed: int) -> dict[str, pl.DataFrame]:
    """The clean tables the sample starts from, before any mess: what cleaning should recover."""
    rng = {k: np.random.default_rng([seed, v]) for k, v in STREAMS.items()}
    months = month_range(parse_month(cfg.first_month), parse_month(cfg.last_month))
    comm = geography.communes(cfg)
    pop = geography.population(cfg, comm, rng["population"])
    hamlets = geography.hamlet_registry(cfg, comm, pop, rng["hamlets"])
    pop2019 = comm.join(pop.filter(pl.col("year") == 2019), on="commune_code")["population"].to_numpy()
    subs = subscribers.build(cfg, comm, pop, months, rng["subscribers"])
    tests = speed.build(cfg, comm, pop2019, months, rng["speed"])
    out = {
        "reference_areas": reference_areas(cfg.province_code),
        "population": pop,
        "hamlet_registry": hamlets.select("hamlet_code", "hamlet", "commune_code", "district_code"),
        "subscribers": subs,
        "hamlet_coverage": network.coverage(cfg, hamlets, months, rng["coverage"]),
        "bts_sites": network.bts_sites(cfg, comm, pop2019, months, rng["bts"]),
        "speed_tests": tests,
        "smartphone_survey": registers.survey(cfg, comm, pop, rng["survey"]),
        "state_apps": registers.state_apps(cfg, rng["apps"]),
        "milestones": registers.milestones(),
    }
    if cfg.reform_month:
        # What operators sent from the reform on, in the units of 1 July 2025; the world by old communes is kept
        # beside it, to judge the old geography recomputed from those reports. The province that joined then
        # (Bắc Kạn) reports from that month, in the same units.
        since = parse_month(cfg.reform_month)
        jc = cfg.joined_config()
        if jc is not None:
            joined = reform.joined_world(jc, months, since, seed, STREAMS["joined"])
            out["reference_areas"] = reference_areas([cfg.province_code, jc.province_code])
            out["population"] = pl.concat([pop, joined["population"]]).sort("commune_code", "year")
            subs = pl.concat([subs, joined["subscribers"]]).sort("period", "operator", "commune_code", "service",
                                                                 "segment")
            tests = pl.concat([tests, joined["speed_tests"]]).sort("ts", "test_id")
        out["subscribers_old_units"], out["speed_tests_old_units"] = subs, tests
        out["subscribers"] = reform.subscribers(subs, cfg.province_code, since)
        out["speed_tests"] = reform.speed_tests(tests, cfg.province_code, since,
                                                np.random.default_rng([seed, STREAMS["reform"]]))
    return out


def _has_files(folder: Path) -> bool:
    return folder.exists() and any(p.is_file() and p.name != "README.md" for p in folder.rglob("*"))


def generate(raw: Path, truth: Path, seed: int = 7, config: Path | None = None,
             first_month: str | None = None, last_month: str | None = None,
             mess_rates: dict[str, float] | None = None) -> dict:
    """Write the raw files under `raw` and the ground truth under `truth`; return a summary with timings."""
    if _has_files(raw):
        raise AnalysisError("already holds data; the sample is written only into an empty folder", file=str(raw))
    if truth.resolve().is_relative_to(raw.resolve()):
        raise AnalysisError("the ground truth must not live under the raw folder", file=str(truth))
    cfg = load(config, **({"mess": mess_rates} if mess_rates else {}))
    # The world is always built over the configured months, so a shorter window shows the same months the
    # full sample would: a window only chooses which months are written.
    months = month_range(parse_month(first_month or cfg.first_month), parse_month(last_month or cfg.last_month))
    full = month_range(parse_month(cfg.first_month), parse_month(cfg.last_month))
    if not months or months[0] not in full or months[-1] not in full:
        raise AnalysisError(f"months must lie within {cfg.first_month}..{cfg.last_month}")
    started = time.perf_counter()
    t = {name: (frame.filter(pl.col("period").is_between(months[0], months[-1])) if "period" in frame.columns
                else frame) for name, frame in build_truth(cfg, seed).items()}
    t_truth = time.perf_counter() - started

    mess = Mess(cfg.mess, np.random.default_rng([seed, STREAMS["mess"]]))
    # The sample is written in the units before the 2025 reform (codes were reused after it).
    areas = {r["area_code"]: (r["name_vi"], unit_type(r["name_vi"]))
             for r in units_on(t["reference_areas"], LEGACY_VALID_TO).iter_rows(named=True)}
    w = Writer(raw, Renderer(mess, areas, reform.new_unit_names(cfg.province_code)),
               parse_month(cfg.reform_month) if cfg.reform_month else None)

    names = t["hamlet_registry"].select("hamlet_code", "hamlet")
    cov = t["hamlet_coverage"].join(names, on="hamlet_code")
    # Hamlets of the registry that no operator names in 2021-2022: they must count as not covered then.
    unreported = t["hamlet_registry"].sample(int(cfg.mess["unreported_hamlets"]), seed=seed)["hamlet_code"].to_list()
    hidden = pl.col("hamlet_code").is_in(unreported) & (pl.col("period") < date(2023, 1, 1))
    for code in unreported:
        mess.record("", "unreported_hamlet", f"{code} 2021-01..2022-12")
    cov = cov.filter(~hidden)
    subs = t["subscribers"].partition_by("period", "operator", as_dict=True)
    covs = cov.partition_by("period", "operator", as_dict=True)
    for m in months:
        for op in ("VNPT", "Viettel", "FPT", "MobiFone"):
            if (m, op) in subs:
                w.operator_file("subscribers", op, m, subs[(m, op)], _stem(op, "thue-bao"),
                                "BÁO CÁO SỐ LIỆU THUÊ BAO")
            if (m, op) in covs:
                w.operator_file("hamlet_coverage", op, m, covs[(m, op)], _stem(op, "phu-song-xom"),
                                "BÁO CÁO HẠ TẦNG THEO THÔN, XÓM")
    sources.bts(w, t["bts_sites"])
    sources.speed(w, t["speed_tests"])
    jc = cfg.joined_config()
    joined = pl.col("district_code").is_in(list(jc.population["census"]) if jc else [])
    sources.population(w, t["population"].filter(~joined), "TỈNH THÁI NGUYÊN", "dan-so-so-ho-theo-xa")
    if jc:  # the joined province's statistics office's own workbook, handed over at the merger
        sources.population(w, t["population"].filter(joined), "TỈNH BẮC KẠN", "dan-so-so-ho-theo-xa_bac-kan",
                           datetime(2025, 7, 15))
    sources.hamlet_registry(w, t["hamlet_registry"])
    sources.survey(w, t["smartphone_survey"])
    sources.state_apps(w, t["state_apps"])
    sources.milestones(w, t["milestones"])
    t_raw = time.perf_counter() - started - t_truth

    tmp = truth.with_name(truth.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name, frame in t.items():
        frame.write_parquet(tmp / f"{name}.parquet")
    pl.DataFrame(mess.defects, schema={"file": pl.String, "sheet": pl.String, "row": pl.Int64,
                                       "column": pl.String, "defect": pl.String, "detail": pl.String}
                 ).write_csv(tmp / "defects.csv")
    pl.DataFrame([asdict(f) for f in w.files]).write_csv(tmp / "files.csv")
    summary = {"seed": seed, "first_month": cfg.first_month, "last_month": cfg.last_month, "months": len(months),
               "files": len(w.files), "bytes": sum((raw / f.file).stat().st_size for f in w.files),
               "data_rows": sum(f.rows_data for f in w.files), "defects": len(mess.defects),
               "seconds_truth": round(t_truth, 2), "seconds_raw": round(t_raw, 2)}
    (tmp / "meta.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    shutil.rmtree(truth, ignore_errors=True)
    tmp.rename(truth)
    return summary



def _stem(op: str, what: str) -> str:
    return {"VNPT": f"VNPT_TNN_{what}", "Viettel": f"BC_{what}_Viettel", "FPT": f"fpt-{what}",
            "MobiFone": f"MBF {what}"}[op]
