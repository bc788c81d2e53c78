"""`python -m analysis sample --scale national [--share 0.1]`: the national benchmark set and its ground truth."""
from __future__ import annotations

import json
import shutil
import time
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl

from analysis.areas import LEGACY_VALID_TO, reference_areas, units_on
from analysis.errors import AnalysisError
from analysis.sample.layout import Sender, Writer
from analysis.sample.mess import Mess, unit_type
from analysis.sample.national import world
from analysis.sample.national.cells import Names
from analysis.sample.national.files import CsvWriter
from analysis.sample.national.settings import load
from analysis.sample.national.sources import NationalSources
from analysis.sample.render import Col, Habit, Renderer

STREAMS = {"provinces": 1, "communes": 2, "hamlets": 3, "subscribers": 4, "coverage": 5, "bts": 6, "speed": 7,
           "mess": 8}


def _registers(raw: Path, truth: dict[str, pl.DataFrame], areas: pl.DataFrame, mess: Mess) -> Writer:
    """The statistics office's two workbooks, written by the province sample's renderer (titles, a sheet per
    year or per province, district subtotals and name variants included)."""
    names = {r["area_code"]: (r["name_vi"], unit_type(r["name_vi"]))  # the units before the reform (codes were reused)
             for r in units_on(areas, LEGACY_VALID_TO).iter_rows(named=True)}
    w = Writer(raw, Renderer(mess, names))
    sender = Sender("thong-ke", "xlsx", habit=Habit(names="official", numbers="dot"))
    rel = "thong-ke/dan-so-so-ho-theo-xa.xlsx"
    cols = [Col("province_code", "Tỉnh/TP", "district"), Col("district_code", "Huyện/TP", "district"),
            Col("commune_code", "Xã/Phường", "commune"), Col("year", "Năm", "text"),
            Col("population", "Dân số (người)", "count"), Col("adults", "Dân số từ 15 tuổi trở lên", "count"),
            Col("households", "Số hộ", "count")]
    pop = truth["population"].join(truth["communes"].select("commune_code", "province_code"), on="commune_code")
    sheets = [w.r.render(rel, str(year), part.sort("commune_code").to_dicts(), cols, sender.habit,
                         titles=["TỔNG CỤC THỐNG KÊ", f"DÂN SỐ VÀ SỐ HỘ THEO ĐƠN VỊ HÀNH CHÍNH CẤP XÃ NĂM {year}"])
              for (year,), part in sorted(pop.partition_by("year", as_dict=True).items())]
    w.emit(rel, sender, sheets, "population", "thong-ke", None, datetime(2025, 9, 30), "mtime")
    rel = "thong-ke/danh-muc-thon-to-dan-pho.xlsx"
    cols = [Col("hamlet_code", "Mã thôn", "text"), Col("hamlet", "Tên xóm, tổ dân phố", "text"),
            Col("province_code", "Tỉnh/TP", "district"), Col("district_code", "Huyện/TP", "district"),
            Col("commune_code", "Xã/Phường", "commune")]
    sheets = [w.r.render(rel, names[p][0][:31], part.sort("hamlet_code").to_dicts(), cols, Habit(names="official"),
                         titles=["DANH MỤC THÔN, TỔ DÂN PHỐ"], totals=False)
              for (p,), part in sorted(truth["hamlet_registry"].partition_by("province_code", as_dict=True).items())]
    w.emit(rel, Sender("thong-ke", "xlsx", habit=Habit(names="official")), sheets, "hamlet_registry", "thong-ke",
           None, datetime(2025, 1, 15), "mtime")
    return w


def generate_national(raw: Path, truth: Path, seed: int = 7, share: float = 1.0, config: Path | None = None,
                      speed_tests: int | None = None, last_month: str | None = None) -> dict:
    if any(p.is_file() and p.name != "README.md" for p in raw.rglob("*")) if raw.exists() else False:
        raise AnalysisError("already holds data; the sample is written only into an empty folder", file=str(raw))
    if not 0 < share <= 1:
        raise AnalysisError(f"share must lie in (0, 1], got {share}")
    cfg = load(config, **({"speed": {"tests": speed_tests}} if speed_tests else {}),
               **({"last_month": last_month} if last_month else {}))
    started = time.perf_counter()
    rng = {k: np.random.default_rng([seed, v]) for k, v in STREAMS.items()}
    ms = world.months(cfg)
    provinces = world.provinces_for(share, rng["provinces"])
    comm_all = world.communes(cfg, rng["communes"])
    keep = comm_all["province_code"].is_in(provinces).to_numpy()
    ham_all = world.hamlets(cfg, comm_all, rng["hamlets"])
    pop_all = world.population(cfg, comm_all)
    in_scope = pl.col("province_code").is_in(provinces)
    t = {
        "reference_areas": reference_areas(provinces),
        "communes": comm_all.filter(in_scope),
        "population": pop_all.filter(pl.col("commune_code").is_in(comm_all.filter(in_scope)["commune_code"].implode())),
        "hamlet_registry": ham_all.filter(in_scope).select("hamlet_code", "hamlet", "commune_code", "district_code",
                                                          "province_code"),
        "subscribers": world.subscribers(cfg, comm_all, pop_all, ms, rng["subscribers"]).filter(in_scope),
        "hamlet_coverage": world.coverage(cfg, ham_all, ms, rng["coverage"]).filter(in_scope),
        "bts_sites": world.bts_sites(cfg, comm_all, ms, rng["bts"]).filter(in_scope),
    }
    speed = world.speed_tests(cfg, comm_all, ms, keep, rng["speed"])
    t_truth = time.perf_counter() - started

    mess_rng = rng["mess"]
    w = CsvWriter(raw, mess_rng)
    src = NationalSources(w, Names(), cfg.mess, mess_rng)
    for (period, op), part in sorted(t["subscribers"].partition_by("period", "operator", as_dict=True).items()):
        src.subscribers(part, op, period)
    names = t["hamlet_registry"].select("hamlet_code", "hamlet")
    for n, ((period, op), part) in enumerate(sorted(t["hamlet_coverage"].partition_by("period", "operator",
                                                                                        as_dict=True).items())):
        src.coverage(part, names, op, period, n)
    for (period, op), part in sorted(t["bts_sites"].partition_by("period", "operator", as_dict=True).items()):
        src.bts(part, op, period)
    for frame in speed:
        src.speed(frame, frame["period"][0])
    # The registers are the reference the operators' spellings are checked against: official names only.
    mess = Mess({"name_variant": 0.0}, mess_rng)
    regs = _registers(raw, t, t["reference_areas"], mess)
    t_raw = time.perf_counter() - started - t_truth

    t["speed_tests"] = pl.concat(speed)
    tmp = truth.with_name(truth.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name, frame in t.items():
        if name != "communes":
            frame.write_parquet(tmp / f"{name}.parquet")
    files = w.files + regs.files
    pl.DataFrame(w.defects + mess.defects, schema={"file": pl.String, "sheet": pl.String, "row": pl.Int64,
                                                   "column": pl.String, "defect": pl.String, "detail": pl.String}
                 ).write_csv(tmp / "defects.csv")
    pl.DataFrame([asdict(f) for f in files]).write_csv(tmp / "files.csv")
    summary = {"scale": "national", "seed": seed, "share": share, "provinces": len(provinces),
               "communes": t["communes"].height, "hamlets": t["hamlet_registry"].height,
               "first_month": cfg.first_month, "last_month": cfg.last_month, "months": len(ms), "files": len(files),
               "bytes": sum((raw / f.file).stat().st_size for f in files),
               "data_rows": sum(f.rows_data for f in files), "defects": len(w.defects) + len(mess.defects),
               "seconds_truth": round(t_truth, 2), "seconds_raw": round(t_raw, 2)}
    (tmp / "meta.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    shutil.rmtree(truth, ignore_errors=True)
    tmp.rename(truth)
    return summary
