"""More containers (issue 20, item 5): Excel's "Unicode text" export, UTF-16 with its byte-order mark and tabs."""
from __future__ import annotations

import polars as pl
import pytest

from tests.unit.test_bad_input import GOOD, SUBS, account, clean


@pytest.mark.parametrize("codec, bom, encoding", [("utf-16-le", b"\xff\xfe", "utf-16-le"),
                                                 ("utf-16-be", b"\xfe\xff", "utf-16-be")])
def test_excel_s_unicode_text_export_is_read(tmp_path, codec, bom, encoding):
    text = f"{SUBS}\r\n{GOOD}\r\n".replace(",", "\t")
    m, q = clean(tmp_path, {"vnpt.txt": bom + text.encode(codec)})
    a = account(m, "vnpt.txt")
    assert q.height == 0 and (a["kept"], a["encoding"]) == (1, encoding)
    out = pl.read_parquet(tmp_path / "processed" / "subscribers.parquet")
    assert out.select("commune_code", "subscribers").rows() == [("05431", 120)]   # Phường Quan Triều


def test_utf16_without_its_mark_is_still_refused_in_one_line(tmp_path):
    text = f"{SUBS}\n{GOOD}\n".replace(",", "\t")
    m, _ = clean(tmp_path, {"vnpt.txt": text.encode("utf-16-le")})
    a = account(m, "vnpt.txt")
    assert a["error"] == "encoding not supported (utf_16_le); save it as UTF-8 or Windows-1258 CSV"
    assert (a["rows_read"], a["kept"]) == (0, 0)


def test_clean_s_last_line_names_the_files_it_could_not_read(tmp_path, capsys):
    """Issue 20, item 8: three unreadable files among good ones; the summary line names each and why."""
    from analysis.__main__ import main
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "good.csv").write_text(f"{SUBS}\n{GOOD}\n", encoding="utf-8")
    (raw / "a.txt").write_bytes(f"{SUBS}\n".encode("utf-16-le"))     # UTF-16 without its mark
    (raw / "b.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    (raw / "c.csv").write_bytes(b"")
    code = main(["clean", "--raw", str(raw), "--processed", str(tmp_path / "p")])
    out = capsys.readouterr().out
    assert code == 0 and out.count("\n") == 1
    assert "3 files could not be read: a.txt (encoding not supported (utf_16_le); save it as UTF-8 or " in out
    assert "b.xlsx (" in out and "c.csv (the file is empty (0 bytes))" in out
