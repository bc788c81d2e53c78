"""The national set's files by kind: operators' monthly subscriber exports, quarterly hamlet inventories and BTS
lists, and i-Speed's monthly exports, each with the province sample's kinds of mess at its rates."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import polars as pl

from analysis.periods import month_end
from analysis.sample.layout import HEADERS, SEGMENT_EN, SEGMENT_VI, SERVICE_EN, SERVICE_VI
from analysis.sample.mess import BOOL_STYLES, period_cell
from analysis.sample.national import cells
from analysis.sample.national.cells import Names
from analysis.sample.national.files import CsvWriter, Layout


@dataclass(frozen=True)
class Sender:
    """A national operator's export habits (the province sample's, as CSV: a ministry asks for CSV exports)."""
    folder: str
    label: str
    encoding: str
    sep: str
    lang: str
    period: str
    names: str
    numbers: str
    bools: str
    hamlet_names: str = "official"
    submitted_column: bool = False
    headers_like: str = ""


SENDERS = {
    "VNPT": Sender("vnpt", "VNPT", "utf-8-sig", ",", "vi", "t", "official", "dot", "x"),
    "Viettel": Sender("viettel", "Viettel", "utf-8", ",", "vi", "slash", "short_prefix", "plain", "co_khong",
                      hamlet_names="bare", submitted_column=True),
    "FPT": Sender("fpt", "FPT", "utf-8-sig", ";", "en", "iso", "no_diacritics", "comma", "yn",
                  hamlet_names="no_diacritics"),
    "MobiFone": Sender("mobifone", "MobiFone", "cp1258", ",", "vi", "words", "nfd", "space", "10",
                       hamlet_names="nfd"),
    "Vietnamobile": Sender("vietnamobile", "Vietnamobile", "utf-8", "\t", "vi", "iso", "lower_no_prefix", "comma",
                           "co_khong", headers_like="MobiFone"),
}
PROVINCE_HEADER = {"vi": "Tỉnh/TP", "en": "Province"}


def _headers(kind: str, op: str) -> list[str]:
    s = SENDERS[op]
    h = list(HEADERS[kind][s.headers_like or op])
    return h[:2] + [PROVINCE_HEADER[s.lang]] + h[2:]


def _when(rng: np.random.Generator, period: date, days: tuple[int, int] = (3, 13)) -> datetime:
    return datetime.combine(month_end(period), datetime.min.time()) + timedelta(
        days=int(rng.integers(*days)), hours=int(rng.integers(8, 17)))


class NationalSources:
    def __init__(self, w: CsvWriter, names: Names, mess: dict[str, float], rng: np.random.Generator) -> None:
        self.w, self.names, self.mess, self.rng = w, names, mess, rng
        self.tally: Counter = Counter()

    def _places(self, frame: pl.DataFrame, habit: str) -> dict[str, pl.Series]:
        rate = self.mess["name_variant"]
        return {lvl: self.names.column(lvl, frame[f"{lvl}_code"], habit, rate, self.rng, self.tally)
                for lvl in ("province", "district", "commune")}

    def _versions(self, kind: str, frame: pl.DataFrame, period: date) -> list[tuple[str, datetime, pl.DataFrame]]:
        """The file as first sent and, now and then, a corrected resubmission (the first had wrong figures)."""
        when = _when(self.rng, period)
        if self.rng.random() >= self.mess["resubmission"]:
            return [("", when, frame)]
        pick = self.rng.random(frame.height)
        if kind == "subscribers":
            wrong = frame.with_columns(subscribers=pl.when(pl.Series(pick < 0.1)).then(
                (pl.col("subscribers") * pl.Series(self.rng.uniform(0.8, 1.2, frame.height))).round().cast(pl.Int64))
                .otherwise(pl.col("subscribers")))
        else:
            wrong = frame.with_columns(ftth=pl.when(pl.Series(pick < 0.02)).then(~pl.col("ftth")).otherwise("ftth"))
        return [("", when, wrong), ("_bosung", when + timedelta(days=int(self.rng.integers(5, 21))), frame)]

    def _emit(self, kind: str, op: str, period: date, stem: str, title: str, versions, build) -> None:
        s = SENDERS[op]
        made = []
        for suffix, when, frame in versions:
            rel = f"{s.folder}/{period.year}/{stem}_{period:%Y-%m}{suffix}.csv"
            where = "column" if s.submitted_column else ("title" if self.rng.random() < self.mess["submitted_in_title"]
                                                           else "mtime")
            header, table, totals, extra = build(frame, when, where)
            titles = [s.label.upper(), f"{title} THÁNG {period.month}/{period.year}", f"Ngày {when:%d/%m/%Y}"] \
                if where == "title" else []
            layout = Layout(titles, self.mess["blank_row"], self.rng.random() < self.mess["repeated_header"],
                            totals if totals is not None and self.rng.random() < self.mess["totals_row"] else None)
            rec, line_of = self.w.write(rel, header, table, layout, encoding=s.encoding, sep=s.sep, kind=kind,
                                        sender=op, period=period, submitted=when, where=where, tally=self.tally)
            if extra is not None:
                self.w.record(rel, "unknown_hamlet", extra[1], row=int(line_of[extra[0]]))
            made.append(rec)
        if len(made) == 2:
            made[0].superseded_by = made[1].file
            self.w.record(made[0].file, "resubmission", made[1].file)

    # -- subscribers ------------------------------------------------------------------------------------------
    def subscribers(self, frame: pl.DataFrame, op: str, period: date) -> None:
        s = SENDERS[op]

        def build(f: pl.DataFrame, when: datetime, where: str):
            f = self._split_rows(f)
            places = self._places(f, s.names)
            services = SERVICE_VI if s.lang == "vi" else SERVICE_EN
            segments = SEGMENT_VI if s.lang == "vi" else SEGMENT_EN
            cols = {"period": pl.Series([period_cell(period, s.period)] * f.height, dtype=pl.String),
                    "operator": pl.Series([s.label] * f.height, dtype=pl.String),
                    **places,
                    "service": f["service"].replace_strict(services, return_dtype=pl.String),
                    "segment": f["segment"].replace_strict(segments, default="", return_dtype=pl.String),
                    "subscribers": cells.counts(f["subscribers"], s.numbers, self.mess["number_format"], self.rng,
                                                self.tally)}
            header = _headers("subscribers", op)
            if where == "column":
                cols["submitted"] = pl.Series([f"{when:%d/%m/%Y}"] * f.height)
                header.append("Ngày gửi")
            return header, pl.DataFrame(cols), {7: int(f["subscribers"].sum())}, None

        self._emit("subscribers", op, period, f"{s.folder}_thue-bao", "BÁO CÁO SỐ LIỆU THUÊ BAO",
                   self._versions("subscribers", frame, period), build)

    def _split_rows(self, f: pl.DataFrame) -> pl.DataFrame:
        """A commune's figure split over two rows now and then (the cleaner must add them up)."""
        pick = (self.rng.random(f.height) < self.mess["split_row"]) & (f["subscribers"] >= 2).to_numpy()
        if not pick.any():
            return f
        idx = np.flatnonzero(pick)
        a = (f["subscribers"].to_numpy()[idx] * self.rng.uniform(0.2, 0.8, len(idx))).astype(np.int64).clip(1)
        first = f[idx].with_columns(subscribers=pl.Series(a))
        second = f[idx].with_columns(subscribers=pl.col("subscribers") - pl.Series(a))
        self.tally[("split_row", "two rows")] += len(idx)
        rest = f.with_row_index("_i").filter(~pl.Series(pick)).drop("_i")
        return pl.concat([rest, first, second]).sort("commune_code", "service", "segment", nulls_last=True)

    # -- hamlet coverage --------------------------------------------------------------------------------------
    def coverage(self, frame: pl.DataFrame, names: pl.DataFrame, op: str, period: date, serial: int) -> None:
        s = SENDERS[op]
        yes, no = BOOL_STYLES[s.bools]

        def build(f: pl.DataFrame, when: datetime, where: str):
            f = f.join(names, on="hamlet_code", how="left", maintain_order="left")
            extra = None
            if self.rng.random() < self.mess["unknown_hamlet"]:
                host = f[int(self.rng.integers(f.height))]
                name = f"Thôn Mới {900 + serial}"  # a pre-merger name the registry no longer holds
                f = pl.concat([f, host.with_columns(hamlet=pl.lit(name))])
                extra = (f.height - 1, name)
            places = self._places(f, s.names)
            cols = {"period": pl.Series([period_cell(period, s.period)] * f.height, dtype=pl.String),
                    "operator": pl.Series([s.label] * f.height, dtype=pl.String), **places,
                    "hamlet": cells.hamlet_names(f["hamlet"], s.hamlet_names),
                    "ftth": cells.flags(f["ftth"], yes, no), "mbb_4g": cells.flags(f["mbb_4g"], yes, no),
                    "mbb_5g": cells.flags(f["mbb_5g"], yes, no)}
            header = _headers("hamlet_coverage", op)
            if where == "column":
                cols["submitted"] = pl.Series([f"{when:%d/%m/%Y}"] * f.height)
                header.append("Ngày gửi")
            return header, pl.DataFrame(cols), None, extra

        self._emit("hamlet_coverage", op, period, f"{s.folder}_phu-song-thon", "BÁO CÁO HẠ TẦNG THEO THÔN, XÓM",
                   self._versions("hamlet_coverage", frame, period), build)

    # -- BTS --------------------------------------------------------------------------------------------------
    def bts(self, frame: pl.DataFrame, op: str, period: date) -> None:
        s = SENDERS[op]
        use_dms = op == "MobiFone" and self.rng.random() < 0.5
        places = self._places(frame, s.names)
        lat = cells.dms(frame["lat"], "N") if use_dms else frame["lat"].round(6).cast(pl.String)
        lon = cells.dms(frame["lon"], "E") if use_dms else frame["lon"].round(6).cast(pl.String)
        table = pl.DataFrame({"operator": [s.label] * frame.height, "site_id": frame["site_id"], "lat": lat, "lon": lon,
                              **places, "technology": frame["technology"],
                              "as_of": pl.Series([f"{month_end(period):%d/%m/%Y}"] * frame.height)})
        header = ["Doanh nghiệp", "Mã trạm", "Vĩ độ", "Kinh độ", "Tỉnh/TP", "Huyện/TP", "Xã/Phường", "Công nghệ",
                  "Ngày cập nhật"]
        rel = f"{s.folder}/{period.year}/tram-bts_{period:%Y-%m}.csv"
        if use_dms:
            self.w.record(rel, "dms_coordinates", "lat/lon")
        self.w.write(rel, header, table, Layout([]), encoding=s.encoding, sep=s.sep, kind="bts_sites", sender=op,
                     period=period, submitted=_when(self.rng, period, (4, 6)), where="mtime", tally=self.tally)

    # -- i-Speed ----------------------------------------------------------------------------------------------
    def speed(self, frame: pl.DataFrame, period: date) -> None:
        rel = f"ispeed/ispeed_vn_{period:%Y-%m}.csv"
        kbps = self.rng.random() < self.mess["kbps_file"]
        unit = " (kbps)" if kbps else (" (Mbps)" if self.rng.random() < 0.6 else "")
        self.w.record(rel, "speed_unit", ("kbps" if kbps else "Mbps") + ("" if unit else " by magnitude"))
        n = frame.height
        bad = self.rng.random(n) < self.mess["impossible_speed"]
        flip = self.rng.random(n) < 0.5
        zero = self.rng.random(n) < self.mess["zero_latency"]
        down = frame["download_mbps"].to_numpy()
        down = np.where(bad, np.where(flip, -down, 12_000 + down), down)
        latency = np.where(zero, 0.0, frame["latency_ms"].to_numpy())
        factor, decimals = (1000, 0) if kbps else (1, 2)
        speed_text = lambda v: (pl.Series(np.round(v * factor, decimals)).cast(pl.Int64 if kbps else pl.Float64)
                                .cast(pl.String))
        places = self._places(frame, "official")
        table = pl.DataFrame({
            "test_id": frame["test_id"], "ts": frame["ts"].dt.strftime("%d/%m/%Y %H:%M:%S"),
            "operator": frame["operator"],
            "network": frame["network"].replace_strict({"fixed": "Cố định", "mobile": "Di động"}),
            "download": speed_text(down), "upload": speed_text(frame["upload_mbps"].to_numpy()),
            "latency": pl.Series(latency).round(1).cast(pl.String), **places,
            "device_id": frame["device_id"], "ip": frame["ip"]})
        header = ["Mã phép đo", "Thời gian đo", "ISP", "Loại mạng", f"Tốc độ tải xuống{unit}", f"Tốc độ tải lên{unit}",
                  "Độ trễ (ms)", "Tỉnh/TP", "Huyện/TP", "Xã/Phường", "Mã thiết bị", "Địa chỉ IP"]
        when = datetime.combine(month_end(period), datetime.min.time()) + timedelta(days=2)
        _, line_of = self.w.write(rel, header, table, Layout([]), encoding="utf-8", sep=",", kind="speed_tests",
                                  sender="ispeed", period=period, submitted=when, where="mtime", tally=self.tally)
        ids = frame["test_id"]
        for mask, defect, column in ((bad, "impossible_speed", "download"), (zero, "zero_latency", "latency_ms")):
            for i in np.flatnonzero(mask):
                self.w.record(rel, defect, ids[int(i)], row=int(line_of[i]), column=column)
