"""Which sender writes which kind, in which format and habits, under which name: the raw folder's shape."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl

from analysis.names import fold
from analysis.periods import month_end
from analysis.sample.files import stamp, write_csv, write_xlsx
from analysis.sample.render import Col, Habit, Renderer

OPERATOR_LABEL = {"VNPT": "VNPT Thái Nguyên", "Viettel": "Viettel Thái Nguyên", "FPT": "FPT Telecom",
                  "MobiFone": "MobiFone"}
SERVICE_VI = {"ftth": "FTTH", "xdsl": "xDSL", "cable": "Cáp đồng/HFC", "mobile_broadband": "Di động 3G/4G/5G",
              "mobile_voice": "Thoại di động", "smartphone": "Điện thoại thông minh"}
SERVICE_EN = {"ftth": "FTTH", "xdsl": "xDSL", "cable": "Cable/HFC", "mobile_broadband": "Mobile broadband",
              "mobile_voice": "Mobile voice", "smartphone": "Smartphone"}
SEGMENT_VI = {"household": "Hộ gia đình", "business": "Doanh nghiệp"}
SEGMENT_EN = {"household": "Household", "business": "Business"}


@dataclass
class Sender:
    """An operator's habits: format, encoding, separator, language of headers, and cell styles."""
    folder: str
    fmt: str  # xlsx | csv
    encoding: str = "utf-8"
    sep: str = ","
    lang: str = "vi"
    habit: Habit = field(default_factory=Habit)
    submitted_column: bool = False
    sheet_per_district: bool = False
    merged_header: bool = False


SENDERS = {
    "VNPT": Sender("vnpt", "xlsx", habit=Habit(period="t", names="official", numbers="dot", bools="x"),
                   merged_header=True),
    "Viettel": Sender("viettel", "xlsx", habit=Habit(period="slash", names="short_prefix", numbers="plain",
                                                     bools="co_khong", hamlet_names="bare"),
                      submitted_column=True, sheet_per_district=True),
    "FPT": Sender("fpt", "csv", encoding="utf-8-sig", sep=";", lang="en",
                  habit=Habit(period="iso", names="no_diacritics", numbers="comma", bools="yn",
                              hamlet_names="no_diacritics")),
    "MobiFone": Sender("mobifone", "csv", encoding="cp1258", sep=",",
                       habit=Habit(period="words", names="nfd", numbers="space", bools="10", hamlet_names="nfd",
                                   decimal_comma=True)),
}

HEADERS = {
    "subscribers": {
        "VNPT": ["Kỳ báo cáo", "Doanh nghiệp", "Huyện/TP", "Xã/Phường", "Dịch vụ", "Đối tượng", "Số thuê bao"],
        "Viettel": ["Tháng", "Nhà mạng", "Quận/Huyện", "Đơn vị hành chính", "Loại thuê bao", "Loại khách hàng",
                    "SL thuê bao"],
        "FPT": ["Period", "ISP", "District", "Commune", "Service", "Segment", "Subscribers"],
        "MobiFone": ["Thời gian", "Doanh nghiệp", "Huyện/TP", "Xã/Phường", "Dịch vụ", "Đối tượng", "Số thuê bao"],
    },
    "hamlet_coverage": {
        "VNPT": ["Kỳ báo cáo", "Doanh nghiệp", "Huyện/TP", "Xã/Phường", "Thôn/Xóm", "Có cáp quang", "Phủ sóng 4G",
                 "Phủ sóng 5G"],
        "Viettel": ["Tháng", "Nhà mạng", "Quận/Huyện", "Xã/Phường", "Xóm", "FTTH", "Phủ sóng 4G", "Phủ sóng 5G"],
        "FPT": ["Period", "ISP", "District", "Commune", "Hamlet", "FTTH"],
        "MobiFone": ["Thời gian", "Doanh nghiệp", "Huyện/TP", "Xã/Phường", "Thôn/Xóm", "Có cáp quang",
                     "Phủ sóng 4G", "Phủ sóng 5G"],
    },
}
SUB_KEYS = ["period", "operator", "district_code", "commune_code", "service", "segment", "subscribers"]
SUB_KINDS = ["period", "text", "district", "commune", "text", "text", "count"]
COV_KEYS = ["period", "operator", "district_code", "commune_code", "hamlet", "ftth", "mbb_4g", "mbb_5g"]
COV_KINDS = ["period", "text", "district", "commune", "hamlet", "bool", "bool", "bool"]


@dataclass
class FileRecord:
    file: str
    kind: str
    sender: str
    period: date | None
    rows_data: int
    rows_nondata: int
    submitted: datetime | None
    submitted_where: str
    superseded_by: str | None = None


class Writer:
    """Writes every raw file and keeps the file list the ground truth needs."""

    def __init__(self, raw: Path, renderer: Renderer, reform: date | None = None) -> None:
        self.raw, self.r, self.m = raw, renderer, renderer.mess
        self.reform = reform  # from this month operators name the units of 1 July 2025 (no district)
        self.files: list[FileRecord] = []

    def in_new_units(self, period: date) -> bool:
        return self.reform is not None and period >= self.reform

    def emit(self, rel: str, sender: Sender, sheets: list, kind: str, sender_name: str, period: date | None,
              submitted: datetime | None, where: str) -> FileRecord:
        path = self.raw / rel
        if sender.fmt == "xlsx":
            write_xlsx(path, [s.sheet for s in sheets])
            if len(sheets) > 1:
                self.m.record(rel, "multi_sheet", len(sheets))
        else:
            write_csv(path, sheets[0].sheet.grid, sender.encoding, sender.sep)
            self.m.record(rel, "encoding", sender.encoding)
            self.m.record(rel, "separator", sender.sep)
        self.m.record(rel, "file_format", sender.fmt)
        self.m.record(rel, "period_format", sender.habit.period)
        self.m.record(rel, "submitted", where)
        self.m.flush(rel)
        if submitted:
            stamp(path, submitted)
        rec = FileRecord(rel, kind, sender_name, period, sum(s.data_rows for s in sheets),
                         sum(s.nondata_rows for s in sheets), submitted, where)
        self.files.append(rec)
        return rec

    def _locate(self, rel: str, sheets: list, text: str, defect: str) -> None:
        key = fold(text)
        for s in sheets:
            for i, row in enumerate(s.sheet.grid):
                if any(isinstance(c, str) and fold(c).endswith(key.split(" ", 1)[1]) for c in row):
                    self.m.record(rel, defect, text, sheet=s.sheet.name or None, row=i + 1)

    def operator_file(self, kind: str, op: str, period: date, frame: pl.DataFrame, stem: str,
                      title: str) -> None:
        """One operator's monthly file of a kind, and now and then a corrected resubmission after it."""
        sender = SENDERS[op]
        habit = sender.habit
        if op == "MobiFone" and kind == "hamlet_coverage" and period.month % 3 == 0:
            habit = replace(habit, period="quarter")  # MobiFone labels quarter-end coverage by quarter
        if op == "VNPT" and period.year >= 2024:
            habit = replace(habit, period="serial")  # VNPT's template switched to a date cell in 2024
        sender = replace(sender, habit=habit)
        keys, kinds = (SUB_KEYS, SUB_KINDS) if kind == "subscribers" else (COV_KEYS, COV_KINDS)
        headers = HEADERS[kind][op]
        cols = [Col(k, h, t) for k, h, t in zip(keys, headers, kinds)]
        new_units = kind == "subscribers" and self.in_new_units(period)
        if new_units:  # no district level any more: the commune column names a unit of 1 July 2025
            cols = [Col(c.key, c.header, "commune_2025" if c.kind == "commune" else c.kind) for c in cols
                    if c.kind != "district"]
            sender = replace(sender, sheet_per_district=False, merged_header=False)
        if op == "FPT" and kind == "hamlet_coverage":
            cols = cols[:6]
        records = frame.to_dicts()
        unknown = None
        if kind == "hamlet_coverage" and self.m.chance("unknown_hamlet"):
            # A hamlet the registry does not hold (a pre-merger name the operator still uses).
            unknown = f"Xóm Mới {900 + len(self.files)}"
            host = records[int(self.m.rng.integers(len(records)))]
            records.append({**host, "hamlet": unknown, "hamlet_code": None})
        submitted = datetime.combine(month_end(period), datetime.min.time()) + timedelta(
            days=int(self.m.rng.integers(3, 13)), hours=int(self.m.rng.integers(8, 17)))
        resubmit = self.m.chance("resubmission")
        versions = [(submitted, records)]
        if resubmit:
            wrong = [dict(r) for r in records]
            for r in wrong:
                if kind == "subscribers" and self.m.rng.random() < 0.1:
                    r["subscribers"] = int(r["subscribers"] * self.m.rng.uniform(0.8, 1.2))
                elif kind == "hamlet_coverage" and self.m.rng.random() < 0.02:
                    r["ftth"] = not r["ftth"]
            versions = [(submitted, wrong), (submitted + timedelta(days=int(self.m.rng.integers(5, 21))), records)]
        made: list[FileRecord] = []
        for v, (when, recs) in enumerate(versions):
            suffix = "" if v == 0 else "_bosung"
            ext = "xlsx" if sender.fmt == "xlsx" else "csv"
            rel = f"{sender.folder}/{period.year}/{stem}_{period.year}-{period.month:02d}{suffix}.{ext}"
            where = ("column" if sender.submitted_column else
                     "title" if self.m.chance("submitted_in_title") else "mtime")
            rows = [{**r, "operator": OPERATOR_LABEL[op] if sender.lang == "vi" else op,
                     "service": (SERVICE_VI if sender.lang == "vi" else SERVICE_EN).get(r.get("service"), r.get("service")),
                     "segment": (SEGMENT_VI if sender.lang == "vi" else SEGMENT_EN).get(r.get("segment"), ""),
                     "submitted": when} for r in recs]
            cols_v = cols + ([Col("submitted", "Ngày gửi", "date")] if where == "column" else [])
            titles = []
            if sender.fmt == "xlsx" or where == "title":
                titles = [OPERATOR_LABEL[op].upper(), f"{title} THÁNG {period.month}/{period.year}"]
                if where == "title":
                    titles.append(f"Ngày {when:%d/%m/%Y}")
            sheets = []
            groups = ([(d, [r for r in rows if r["district_code"] == d])
                       for d in sorted({r["district_code"] for r in rows})]
                      if sender.sheet_per_district else [("Sheet1" if sender.fmt == "xlsx" else "", rows)])
            for name, part in groups:
                sheet_name = self.r.areas[name][0][:31] if sender.sheet_per_district else name
                sheets.append(self.r.render(rel, sheet_name, part, cols_v, sender.habit, titles=titles,
                                            merged=(2, 3, "Địa bàn") if sender.merged_header else None,
                                            splits=kind == "subscribers"))
            if unknown:
                self._locate(rel, sheets, unknown, "unknown_hamlet")
            made.append(self.emit(rel, sender, sheets, kind, op, period, when, where))
        if resubmit:
            made[0].superseded_by = made[1].file
            self.m.record(made[0].file, "resubmission", made[1].file)
