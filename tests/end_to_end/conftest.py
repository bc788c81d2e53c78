"""One run of the whole chain on the short sample, shared by the end-to-end tests: as `make report` runs it,
with one hostile hamlet name planted in the registry (it must reach every report as text, never as markup)."""
from __future__ import annotations

import shutil
import subprocess
import sys

import openpyxl
import pytest

XSS = "<img src=x onerror=alert(1)>"
XSS_HAMLET = "05431001"  # Tổ dân phố 1 of Phường Quan Triều, Thành phố Thái Nguyên (164)


def plant(raw) -> None:
    """Rename one registry hamlet to the hostile name, in the statistics office's own workbook."""
    path = raw / "thong-ke" / "danh-muc-xom-to-dan-pho.xlsx"
    book = openpyxl.load_workbook(path)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            if row[0].value == XSS_HAMLET:
                row[1].value = XSS
                book.save(path)
                return
    raise AssertionError("the registry has no hamlet 05431001")


@pytest.fixture(scope="session")
def run_root(short_sample, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    shutil.copytree(short_sample / "raw", out / "raw")
    plant(out / "raw")
    r = subprocess.run([sys.executable, "-m", "analysis", "run", "--raw", str(out / "raw"),
                        "--processed", str(out / "processed"), "--reports", str(out / "reports")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    return out


@pytest.fixture(scope="session")
def reports(run_root):
    return run_root / "reports"
