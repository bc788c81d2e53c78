"""Cleaning across the 2025 reform: a row is placed among the units in force in its month (issue 10). The codes
and names are the package's (`vietnamadminunits`); the new units' are those of NQ 1683/NQ-UBTVQH15."""
from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from analysis.clean import stage

TODAY = date(2026, 11, 25)
HEADER = "\ufeffPeriod;ISP;Commune;Service;Segment;Subscribers\n"


def _clean(tmp_path, period: str, communes: list[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    raw = tmp_path / "raw"
    raw.mkdir()
    body = "".join(f"{period};FPT;{c};FTTH;Household;{10 + i}\n" for i, c in enumerate(communes))
    (raw / f"fpt-thue-bao_{period}.csv").write_bytes((HEADER + body).encode())
    stage.run(raw, tmp_path / "p", today=TODAY)
    return (pl.read_parquet(tmp_path / "p" / "subscribers.parquet"),
            pl.read_parquet(tmp_path / "p" / "quarantine.parquet"))


def test_after_the_reform_a_row_without_district_is_placed_in_the_new_units(tmp_path):
    # Phường Quan Triều of the merged province is 05482 (old Quan Triều 05431 and Quang Vinh 05434 went into it);
    # Xã Tân Cương is 05503; Phường Đức Xuân (01840) was formed from old Bắc Kạn's wards and is now Thái Nguyên's.
    out, q = _clean(tmp_path, "2025-08", ["Phường Quan Triều", "Xa Tan Cuong", "Phuong Duc Xuan"])
    assert q.is_empty()
    assert sorted(out.select("commune_code", "district_code", "province_code", "subscribers").rows()) == [
        ("01840", None, "19", 12), ("05482", None, "19", 10), ("05503", None, "19", 11)]


def test_before_the_reform_the_same_names_are_the_old_units(tmp_path):
    # In June 2025 Phường Quan Triều is the old ward 05431 of TP Thái Nguyên (164); Đức Xuân was a ward of Bắc Kạn
    # (06), in the department's area only from July, so a June figure for it is quarantined with that reason.
    out, q = _clean(tmp_path, "2025-06", ["Phường Quan Triều", "Phuong Duc Xuan"])
    assert out.select("commune_code", "district_code", "province_code").rows() == [("05431", "164", "19")]
    assert q.select("row_number", "column", "reason").rows() == [(3, "commune", (
        "commune 'Phuong Duc Xuan' lies in province 06, which joined this one only on 1 July 2025"))]


def test_a_scope_given_without_bac_kan_does_not_know_its_units(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "fpt.csv").write_bytes((HEADER + "2025-06;FPT;Phuong Duc Xuan;FTTH;Household;5\n").encode())
    stage.run(raw, tmp_path / "p", today=TODAY, provinces="19")
    q = pl.read_parquet(tmp_path / "p" / "quarantine.parquet")
    assert q["reason"].to_list() == ["commune not recognised: 'Phuong Duc Xuan'"]


def test_an_old_name_after_the_reform_stays_in_the_old_units(tmp_path):
    # Phường Quang Vinh (05434) ceased on 1 July 2025; an operator still sending it is read in the old units, with
    # its district, so the figure is not put on a new unit it only partly describes.
    out, q = _clean(tmp_path, "2025-09", ["Phuong Quang Vinh"])
    assert q.is_empty()
    assert out.select("commune_code", "district_code", "province_code").rows() == [("05434", "164", "19")]


@pytest.mark.parametrize("text, code", [("05482", "05482"), ("5503", "05503")])
def test_after_the_reform_a_code_is_a_new_unit_code(tmp_path, text, code):
    out, _ = _clean(tmp_path, "2025-10", [text])
    assert out.select("commune_code", "district_code").rows() == [(code, None)]


def test_a_hamlet_under_a_new_unit_is_found_in_the_old_communes_it_was_formed_from(short_sample, tmp_path):
    # The new Phường Quan Triều (05482) was formed from Quan Triều (05431), Quang Vinh (05434), Tân Long (05482)
    # and Xã Sơn Cẩm (05653). The registry (by old commune) has Xóm Làng Đồng in Sơn Cẩm only: found there.
    # Every one of the three wards has a Tổ dân phố 2: which one is meant cannot be known, so it is quarantined.
    raw = tmp_path / "raw"
    (raw / "thong-ke").mkdir(parents=True)
    registry = short_sample / "raw" / "thong-ke" / "danh-muc-xom-to-dan-pho.xlsx"
    (raw / "thong-ke" / registry.name).write_bytes(registry.read_bytes())
    (raw / "fpt-phu-song-xom_2025-08.csv").write_bytes(
        ("\ufeffPeriod;ISP;Commune;Hamlet;FTTH\n2025-08;FPT;Phường Quan Triều;Xóm Làng Đồng;Y\n"
         "2025-08;FPT;Phường Quan Triều;Tổ dân phố 2;Y\n").encode())
    stage.run(raw, tmp_path / "p", today=TODAY)
    truth = pl.read_parquet(short_sample / "truth" / "hamlet_registry.parquet")
    lang_dong = truth.filter((pl.col("commune_code") == "05653") & (pl.col("hamlet") == "Xóm Làng Đồng"))
    out = pl.read_parquet(tmp_path / "p" / "hamlet_coverage.parquet")
    assert out.select("hamlet_code", "commune_code", "district_code").rows() == [
        (lang_dong["hamlet_code"].item(), "05482", None)]
    q = pl.read_parquet(tmp_path / "p" / "quarantine.parquet")
    assert q.select("row_number", "column", "reason").rows() == [
        (3, "hamlet", "hamlet name 'Tổ dân phố 2' matches hamlets of several communes that formed 05482")]


def test_indicators_refuse_rows_in_the_new_units_they_cannot_share(tmp_path):
    # Without a population table, subscriptions reported by a new unit cannot be shared among its old communes.
    from analysis.errors import AnalysisError
    from analysis.indicators import compute
    _clean(tmp_path, "2025-08", ["Phường Quan Triều", "Xa Tan Cuong"])
    tables = {p.stem: pl.read_parquet(p) for p in (tmp_path / "p").glob("*.parquet")}
    with pytest.raises(AnalysisError, match="2 subscribers rows are reported by the units of 1 July 2025"):
        compute(tables)


def test_a_bts_list_by_the_new_units_is_cleaned_and_counted(tmp_path):
    # Two operators' sites 20 m apart in the new Phường Quan Triều (05482), sent with no district in September
    # 2025: one shared position of the new unit, and of old TP Thái Nguyên (164), all of whose communes formed it.
    from analysis.indicators import compute
    raw = tmp_path / "raw"
    raw.mkdir()
    head = "Doanh nghiệp,Mã trạm,Vĩ độ,Kinh độ,Xã/Phường,Công nghệ,Ngày cập nhật\n"
    (raw / "tram-bts_2025-09.csv").write_text(
        head + "VNPT,TN-V0001,21.6120,105.8100,Phường Quan Triều,4G,30/09/2025\n"
               "Viettel,TN-T0001,21.6121,105.8101,Phường Quan Triều,4G,30/09/2025\n", encoding="utf-8")
    stage.run(raw, tmp_path / "p", today=TODAY)
    sites = pl.read_parquet(tmp_path / "p" / "bts_sites.parquet")
    assert sites.select("commune_code", "district_code", "operators_at_position").rows() == [
        ("05482", None, 2), ("05482", None, 2)]
    got = compute({"bts_sites": sites}, only=["bts_site_sharing"])[0]
    assert sorted(got.select("area_level", "area_code", "value").rows()) == [
        ("commune_2025", "05482", 100.0), ("district", "164", 100.0), ("province", "19", 100.0)]
