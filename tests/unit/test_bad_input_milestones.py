"""Milestones matched, or flagged (issue 20, item 7): an entry of the department's milestones sheet is matched to
the target set's milestones by its wording, approximately and with or without diacritics; one that names none
clearly is a validation warning naming it and the nearest milestone, never silently left out."""
from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from analysis import milestone_match
from analysis.targets import load
from analysis.trajectory import engine
from analysis.validate import checks
from tests.unit.test_bad_input import clean

PLAN = load("plan-171-2025")
EXPERTS, ECOSYSTEM, CLOUD, PLATFORMS = (m.name_vi for m in PLAN.milestones)


@pytest.mark.parametrize("entry, expected, how", [
    ("Thành lập nhóm chuyên gia hỗ trợ phát triển AI, blockchain, IoT", EXPERTS, "by its first words"),
    ("THANH LAP NHOM CHUYEN GIA ho tro AI", EXPERTS, "by its first words"),            # no marks, capitals
    ("1. Thành lập nhóm chuyên gia", EXPERTS, "by its first words"),                   # numbered
    ("Nhiệm vụ 4: Sử dụng các nền tảng số quốc gia", PLATFORMS, "by its first words"),
    ("Thành lập nhóm chuyen gai hỗ trợ phát triển AI", EXPERTS, "approximate"),        # a typo
    ("Thàng lập nhóm chuyên gia hỗ trợ phát triển AI, blockchain, IoT", EXPERTS, "approximate"),
    ("Nhóm chuyên gia AI, blockchain, IoT", EXPERTS, "approximate"),                   # shortened
    ("Hệ sinh thái hạ tầng AI, blockchain, IoT", ECOSYSTEM, "approximate"),
    ("Tích hợp hạ tầng đám mây và IoT", CLOUD, "approximate"),
    ("AI, blockchain, IoT", None, "ambiguous"),              # words two milestones share: which one is not said
    ("Xây dựng trung tâm dữ liệu tỉnh", None, "none"),       # a task of another plan
])
def test_an_entry_is_matched_by_its_wording_or_not_at_all(entry, expected, how):
    m = milestone_match.match(entry, PLAN.milestones)
    assert (m.milestone.name_vi if m.milestone else None, m.how) == (expected, how)
    assert m.nearest is not None


def _milestones_sheet(tmp_path, entries: list[tuple[str, str, str]]) -> None:
    rows = "\n".join(f'"{name}",{status},{when}' for name, status, when in entries)
    clean(tmp_path, {"so-khcn/tien-do.csv": f"Nhiệm vụ,Tình trạng,Ngày cập nhật\n{rows}\n"})


def test_a_misspelt_entry_still_reaches_the_pages_and_one_naming_nothing_is_warned_of(tmp_path):
    _milestones_sheet(tmp_path, [
        ("Thành lập nhóm chuyên gia hỗ trợ phát triển AI, blockchain, IoT", "Đang thực hiện", "2024-12"),
        ("Thanh lap nhom chuyen gai AI, blockchain, IoT", "Đã hoàn thành", "2025-12"),   # later, misspelt
        ("Tích hợp hạ tầng đám mây và IoT", "Đang thực hiện", "Quý IV/2025"),
        ("Xây dựng trung tâm dữ liệu tỉnh", "Đã hoàn thành", "2025-12"),
    ])
    processed = tmp_path / "processed"
    status = engine.milestones(processed, PLAN, date(2026, 9, 1))
    got = {r["milestone_vi"]: (r["status_code"], r["as_of"]) for r in status.iter_rows(named=True)}
    assert got[EXPERTS] == ("done", date(2025, 12, 31))   # the misspelt later entry is the latest status
    assert got[CLOUD] == ("in_progress", date(2025, 12, 31))
    assert got[ECOSYSTEM] == (None, None) and got[PLATFORMS] == (None, None)

    tables = checks.load(processed)
    entries = checks.milestone_entries(tables, PLAN)
    unmatched = entries.filter(pl.col("milestone_vi").is_null())
    assert unmatched["entry"].to_list() == ["Xây dựng trung tâm dữ liệu tỉnh"]
    assert unmatched["key"][0].startswith(f"'Xây dựng trung tâm dữ liệu tỉnh' ≈ {PLATFORMS} (")
    records = {r["entry"]: (r["milestone_vi"], r["how"]) for r in engine.milestone_matches(processed, PLAN)}
    assert records["Thanh lap nhom chuyen gai AI, blockchain, IoT"] == (EXPERTS, "approximate")


def test_a_target_set_without_milestones_checks_no_entries(tmp_path):
    _milestones_sheet(tmp_path, [("Xây dựng trung tâm dữ liệu tỉnh", "Đã hoàn thành", "2025-12")])
    assert checks.milestone_entries(checks.load(tmp_path / "processed"), PLAN.model_copy(update={"milestones": []})) is None
