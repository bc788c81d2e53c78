"""One run of the whole chain on the short sample, shared by the end-to-end tests: as `make report` runs it,
with one hostile hamlet name planted in the registry (it must reach every report as text, never as markup)."""
from __future__ import annotations

import shutil
import subprocess
import sys

import openpyxl
import pytest

from tests.conftest import kept_clean_cache, once

XSS = "<img src=x onerror=alert(1)>"
XSS_HAMLET = "05431001"  # Tổ dân phố 1 of Phường Quan Triều, Thành phố Thái Nguyên (164)
FORMULA = '=HYPERLINK("http://evil.example","x")'
FORMULA_HAMLET = "05431002"
SCRIPT = "<script>alert(2)</script>"


def plant(raw) -> None:
    """Hostile names where operators and the office type text: two registry hamlets renamed (markup, a formula),
    and a commune name that is a script in one operator's coverage report (it goes to quarantine and its reason
    is shown in the data-quality section)."""
    path = raw / "thong-ke" / "danh-muc-xom-to-dan-pho.xlsx"
    book = openpyxl.load_workbook(path)
    done = set()
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            if row[0].value in (XSS_HAMLET, FORMULA_HAMLET):
                row[1].value = XSS if row[0].value == XSS_HAMLET else FORMULA
                row[1].data_type = "s"  # typed text, as an operator's "=..." cell is: not a formula to compute
                done.add(row[0].value)
    assert done == {XSS_HAMLET, FORMULA_HAMLET}
    book.save(path)
    # In the first data row of the first raw file (the quarantine is in file and row order, and the province page
    # quotes its first rows): FPT's first coverage report, whose header is the line naming the commune column.
    first = sorted(p for p in raw.rglob("*") if p.is_file())[0]
    lines = first.read_bytes().decode("utf-8-sig").splitlines()
    head = next(i for i, line in enumerate(lines) if line.split(";")[3:4] == ["Commune"])
    lines[head + 1] = lines[head + 1].replace(lines[head + 1].split(";")[3], SCRIPT, 1)
    first.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"))


def _run(out, short_sample) -> None:
    shutil.copytree(short_sample / "raw", out / "raw")
    plant(out / "raw")
    r = kept_clean_cache("chain", out / "processed", lambda: subprocess.run(
        [sys.executable, "-m", "analysis", "run", "--raw", str(out / "raw"), "--processed", str(out / "processed"),
         "--reports", str(out / "reports")], capture_output=True, text=True))
    assert r.returncode == 0, r.stderr[-2000:]
    (out / "run.log").write_text(r.stderr, encoding="utf-8")   # what the operator saw


@pytest.fixture(scope="session")
def run_root(short_sample, tmp_path_factory):
    """The chain's one shared run (every worker's): tests read it, and copy it before they write."""
    return once(tmp_path_factory, "run", lambda out: _run(out, short_sample))[0]


@pytest.fixture(scope="session")
def reports(run_root):
    return run_root / "reports"
