"""The files that are not an operator's monthly report: BTS lists, i-Speed exports, statistics and registers."""
from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from analysis.periods import month_end
from analysis.sample.layout import OPERATOR_LABEL, SENDERS, Sender, Writer
from analysis.sample.mess import number_cell
from analysis.sample.render import Col, Habit

BTS_COLS = [("operator", "Doanh nghiệp", "text"), ("site_id", "Mã trạm", "text"), ("lat", "Vĩ độ", "coord"),
            ("lon", "Kinh độ", "coord"), ("district_code", "Huyện/TP", "district"),
            ("commune_code", "Xã/Phường", "commune"), ("technology", "Công nghệ", "text"),
            ("as_of", "Ngày cập nhật", "date")]


def bts(w: Writer, sites: pl.DataFrame) -> None:
    """Each mobile operator's site list at every month end (FPT runs no BTS)."""
    for (op, period), part in sites.partition_by("operator", "period", as_dict=True).items():
        sender = SENDERS[op]
        habit = Habit(names=sender.habit.names, numbers="plain")
        ext = "xlsx" if sender.fmt == "xlsx" else "csv"
        rel = f"{sender.folder}/{period.year}/tram-bts_{period:%Y-%m}.{ext}"
        if op == "MobiFone" and w.m.chance("dms_coordinates"):
            habit.coords = "dms"
            w.m.record(rel, "dms_coordinates", "lat/lon")
        rows = [{**r, "operator": OPERATOR_LABEL[op]} for r in part.to_dicts()]
        cols = [Col(*c) for c in BTS_COLS]
        titles = [OPERATOR_LABEL[op].upper(), f"DANH SÁCH TRẠM BTS ĐẾN {month_end(period):%d/%m/%Y}"] \
            if sender.fmt == "xlsx" else []
        sheet = w.r.render(rel, "BTS" if ext == "xlsx" else "", rows, cols, habit, titles=titles, totals=False)
        when = datetime.combine(month_end(period), datetime.min.time()) + timedelta(days=5)
        w.emit(rel, Sender(sender.folder, sender.fmt, sender.encoding, sender.sep, habit=habit), [sheet],
                "bts_sites", op, period, when, "mtime")


SPEED_HEADERS = ["Mã phép đo", "Thời gian đo", "ISP", "Loại mạng", "Tốc độ tải xuống{u}", "Tốc độ tải lên{u}",
                 "Độ trễ (ms)", "Huyện/TP", "Xã/Phường", "Mã thiết bị", "Địa chỉ IP"]


def speed(w: Writer, tests: pl.DataFrame) -> None:
    """One i-Speed export a month; some in kbps, some with no unit at all (the magnitude says which)."""
    sender = Sender("ispeed", "csv", encoding="utf-8", sep=",", habit=Habit(names="official", numbers="plain"))
    for (period,), part in sorted(tests.partition_by("period", as_dict=True).items()):
        rel = f"ispeed/ispeed_thai-nguyen_{period:%Y-%m}.csv"
        kbps = w.m.chance("kbps_file")
        unit = " (kbps)" if kbps else (" (Mbps)" if w.m.rng.random() < 0.6 else "")
        w.m.record(rel, "speed_unit", ("kbps" if kbps else "Mbps") + ("" if unit else " by magnitude"))
        factor = 1000 if kbps else 1
        rows = []
        for r in part.to_dicts():
            down, up, lat = r["download_mbps"], r["upload_mbps"], r["latency_ms"]
            line = len(rows) + 2  # header is line 1
            if w.m.chance("impossible_speed"):
                down = -down if w.m.rng.random() < 0.5 else 12_000 + down
                w.m.record(rel, "impossible_speed", r["test_id"], row=line, column="download")
            if w.m.chance("zero_latency"):
                lat = 0.0
                w.m.record(rel, "zero_latency", r["test_id"], row=line, column="latency_ms")
            rows.append({**r, "network": "Cố định" if r["network"] == "fixed" else "Di động",
                         "download": f"{down * factor:.{0 if kbps else 2}f}",
                         "upload": f"{up * factor:.{0 if kbps else 2}f}", "latency": f"{lat:.1f}"})
        cols = [Col(k, h.format(u=unit), t) for (k, t), h in zip(
            [("test_id", "text"), ("ts", "datetime"), ("operator", "text"), ("network", "text"),
             ("download", "decimal"), ("upload", "decimal"), ("latency", "decimal"), ("district_code", "district"),
             ("commune_code", "commune"), ("device_id", "text"), ("ip", "text")], SPEED_HEADERS)]
        if w.in_new_units(period):  # VNNIC places a test in the units of 1 July 2025 from then: no district
            cols = [Col(c.key, c.header, "commune_2025" if c.kind == "commune" else c.kind) for c in cols
                    if c.kind != "district"]
        sheet = w.r.render(rel, "", rows, cols, sender.habit, totals=False, blank_rows=False, repeat_header=False)
        when = datetime.combine(month_end(period), datetime.min.time()) + timedelta(days=2)
        w.emit(rel, sender, [sheet], "speed_tests", "ispeed", period, when, "mtime")


def population(w: Writer, pop: pl.DataFrame, province: str, stem: str,
               sent: datetime = datetime(2026, 6, 30)) -> None:
    """A statistics office's workbook: one sheet a year, district subtotal rows and a province total."""
    sender = Sender("thong-ke", "xlsx", habit=Habit(names="official", numbers="dot"))
    rel = f"thong-ke/{stem}.xlsx"
    cols = [Col("district_code", "Huyện/TP", "district"), Col("commune_code", "Xã/Phường", "commune"),
            Col("year", "Năm", "text"), Col("population", "Dân số (người)", "count"),
            Col("adults", "Dân số từ 15 tuổi trở lên", "count"), Col("households", "Số hộ", "count")]
    sheets = []
    for (year,), part in sorted(pop.partition_by("year", as_dict=True).items()):
        rows = part.sort("district_code", "commune_code").to_dicts()
        sheets.append(w.r.render(rel, str(year), rows, cols, sender.habit, titles=[
            f"CỤC THỐNG KÊ {province}", f"DÂN SỐ VÀ SỐ HỘ THEO ĐƠN VỊ HÀNH CHÍNH CẤP XÃ NĂM {year}"]))
    w.emit(rel, sender, sheets, "population", "thong-ke", None, sent, "mtime")


def hamlet_registry(w: Writer, hamlets: pl.DataFrame) -> None:
    sender = Sender("thong-ke", "xlsx", habit=Habit(names="official"))
    rel = "thong-ke/danh-muc-xom-to-dan-pho.xlsx"
    cols = [Col("hamlet_code", "Mã xóm", "text"), Col("hamlet", "Tên xóm, tổ dân phố", "text"),
            Col("commune_code", "Xã/Phường", "commune"), Col("district_code", "Huyện/TP", "district")]
    sheets = [w.r.render(rel, w.r.areas[d][0][:31], part.sort("hamlet_code").to_dicts(), cols, sender.habit,
                         titles=["DANH MỤC XÓM, TỔ DÂN PHỐ TỈNH THÁI NGUYÊN"], totals=False)
              for (d,), part in sorted(hamlets.partition_by("district_code", as_dict=True).items())]
    w.emit(rel, sender, sheets, "hamlet_registry", "thong-ke", None, datetime(2025, 1, 15), "mtime")


def survey(w: Writer, sv: pl.DataFrame) -> None:
    """Weighted counts with a decimal comma, in Windows-1258, semicolon-separated: a typical office export."""
    sender = Sender("thong-ke", "csv", encoding="cp1258", sep=";", habit=Habit(names="official",
                                                                                 decimal_comma=True))
    rel = "thong-ke/khao-sat-dien-thoai-thong-minh.csv"
    cols = [Col("area_code", "Địa bàn", "area"), Col("year", "Năm", "text"),
            Col("adults_surveyed", "Số người trưởng thành được khảo sát (gia quyền)", "decimal"),
            Col("adults_with_smartphone", "Số người có điện thoại thông minh (gia quyền)", "decimal")]
    rows = [{**r, **{k: number_cell(r[k], "dot", decimals=1) for k in ("adults_surveyed", "adults_with_smartphone")}}
            for r in sv.to_dicts()]
    w.m.record(rel, "decimal_comma", "weighted counts")
    sheet = w.r.render(rel, "", rows, cols, sender.habit, totals=False)
    w.emit(rel, sender, [sheet], "smartphone_survey", "thong-ke", None, datetime(2026, 3, 31), "mtime")


def state_apps(w: Writer, apps: pl.DataFrame) -> None:
    for (as_of,), part in sorted(apps.partition_by("as_of", as_dict=True).items()):
        sender = Sender("so-khcn", "xlsx", habit=Habit())
        rel = f"so-khcn/danh-muc-ung-dung-dung-chung_{as_of:%Y-%m-%d}.xlsx"
        rows = [{**r, "stt": i + 1} for i, r in enumerate(part.to_dicts())]
        cols = [Col("stt", "STT", "text"), Col("app", "Tên ứng dụng", "text"), Col("agency", "Cơ quan chủ quản", "text"),
                Col("hosting", "Hình thức lưu trữ", "text")]
        sheet = w.r.render(rel, "Danh mục", rows, cols, sender.habit, totals=False, titles=[
            "DANH MỤC ỨNG DỤNG DÙNG CHUNG CỦA CÁC CƠ QUAN NHÀ NƯỚC", f"Ngày {as_of:%d/%m/%Y}"])
        w.emit(rel, sender, [sheet], "state_apps", "so-khcn", as_of, datetime.combine(as_of, datetime.min.time()),
                "title")


def milestones(w: Writer, ms: pl.DataFrame) -> None:
    sender = Sender("so-khcn", "xlsx", habit=Habit())
    rel = "so-khcn/tien-do-nhiem-vu-ke-hoach-171.xlsx"
    cols = [Col("milestone", "Nhiệm vụ", "text"), Col("status", "Tình trạng", "text"),
            Col("as_of", "Ngày cập nhật", "date"), Col("note", "Ghi chú", "text")]
    sheet = w.r.render(rel, "Tiến độ", ms.to_dicts(), cols, sender.habit, totals=False, blank_rows=False)
    w.emit(rel, sender, [sheet], "milestones", "so-khcn", None, datetime(2026, 10, 5), "mtime")
