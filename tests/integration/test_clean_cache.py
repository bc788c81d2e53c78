"""Incremental cleaning (issue 21, item 3): a run reads only the files that are new or changed and gives exactly
what cleaning every file gives."""
from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from analysis.clean import stage

TODAY = date(2026, 11, 25)


def _tables(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.parquet"))}


def _accounts(manifest: dict) -> list[dict]:
    return [{k: v for k, v in f.items() if k != "submitted"} for f in manifest["inputs"]]


def _same(a: tuple[Path, dict], b: tuple[Path, dict]) -> None:
    """Every table byte for byte, every file's accounting, the replacements and the approximate matches."""
    assert _tables(a[0]) == _tables(b[0])
    assert _accounts(a[1]) == _accounts(b[1])
    for k in ("replaced", "fuzzy_matches", "kinds_found", "kinds_cleaned", "outputs"):
        assert a[1][k] == b[1][k], k


@pytest.fixture()
def raw(short_sample, tmp_path) -> Path:
    """The short sample's files of October and November and those of no month (registries, surveys): every kind,
    a resubmission, two months to add one to, and a third less to clean three or four times a test."""
    out = tmp_path / "raw"
    shutil.copytree(short_sample / "raw", out, ignore=lambda folder, names: [n for n in names if "2024-09" in n])
    assert not list(out.rglob("*2024-09*")) and len([p for p in out.rglob("*") if p.is_file()]) > 20
    return out


def _full(raw: Path, out: Path) -> tuple[Path, dict]:
    return out, stage.run(raw, out, today=TODAY, use_cache=False)


def test_a_month_s_new_files_are_the_only_ones_read(raw, tmp_path):
    november = sorted(p for p in raw.rglob("*") if p.is_file() and "2024-11" in p.name)
    assert len(november) >= 10
    aside = tmp_path / "aside"
    for p in november:   # October's run: November's files not yet sent
        (aside / p.relative_to(raw)).parent.mkdir(parents=True, exist_ok=True)
        p.replace(aside / p.relative_to(raw))
    processed = tmp_path / "processed"
    first = stage.run(raw, processed, today=TODAY)
    assert first["cache"]["reused"] == 0
    for p in november:   # November's arrive
        (aside / p.relative_to(raw)).replace(p)
    second = stage.run(raw, processed, today=TODAY)
    assert second["cache"] == {"reused": len(first["inputs"]), "read": len(november)}
    _same((processed, second), _full(raw, tmp_path / "full"))


def test_an_edited_file_is_read_again_and_nothing_else(raw, tmp_path):
    processed = tmp_path / "processed"
    first = stage.run(raw, processed, today=TODAY)
    csv = sorted(raw.rglob("*.csv"))[0]
    lines = csv.read_bytes().splitlines(keepends=True)
    csv.write_bytes(b"".join(lines[:-1]))          # its last row withdrawn
    gone = raw / first["inputs"][-1]["path"]
    assert gone != csv
    gone.unlink()                                  # and another file removed
    second = stage.run(raw, processed, today=TODAY)
    assert second["cache"] == {"reused": len(first["inputs"]) - 2, "read": 1}
    _same((processed, second), _full(raw, tmp_path / "full"))
    # the removed file's and the edited file's old entries are gone from the cache; every file left has one
    indexed = [k for s in _segments(processed) for k in s]
    assert sorted(indexed) == sorted(_key(processed, f["path"], f["sha256"]) for f in second["inputs"])
    assert len(_segments(processed)) == 2   # the first run's, and the edited file's


def _segments(processed: Path) -> list[dict]:
    """Each segment's index (entry key -> its accounting), newest first."""
    root = processed / ".cache" / "clean"
    return [json.loads((f / "entries.json").read_text(encoding="utf-8")) for f in sorted(root.iterdir(), reverse=True)]


def _key(processed: Path, rel: str, digest: str) -> str:
    """A file's entry key, as the cache makes it for the sample's provinces (stage.run's default scope)."""
    from analysis.clean.cache import FileCache, context
    from analysis.run.config import default_provinces
    scope = stage.provinces_in(default_provinces())
    return FileCache(processed, context(scope, scope[0]), TODAY).key(rel, digest)


def test_a_new_hamlet_registry_reads_every_file_again(raw, tmp_path):
    """Coverage rows are resolved against the registry: cached ones made with another registry are not used."""
    processed = tmp_path / "processed"
    first = stage.run(raw, processed, today=TODAY)
    registry = next(raw / f["path"] for f in first["inputs"] if "hamlet_registry" in f["kinds"])
    import fastexcel, xlsxwriter
    rows = fastexcel.read_excel(str(registry)).load_sheet(0, header_row=None, dtypes="string").to_polars().rows()
    registry.unlink()
    book = xlsxwriter.Workbook(str(registry))   # the same registry, one hamlet fewer
    sheet = book.add_worksheet()
    for i, row in enumerate(rows[:-1]):
        sheet.write_row(i, 0, row)
    book.close()
    second = stage.run(raw, processed, today=TODAY)
    assert second["cache"] == {"reused": 0, "read": len(first["inputs"])}
    _same((processed, second), _full(raw, tmp_path / "full"))
    dropped = pl.read_parquet(processed / "quarantine.parquet").filter(
        pl.col("reason").str.starts_with("hamlet not in the registry"))
    assert dropped.height > 0


def test_next_month_s_run_reuses_what_has_no_row_in_the_future(raw, tmp_path):
    """A run in December reuses November's entries, except a file with a row dated after November then (now
    past, so it is read again and kept); a run dated before an entry was made reads that file again."""
    head = "Kỳ báo cáo,Doanh nghiệp,Huyện/TP,Xã/Phường,Dịch vụ,Đối tượng,Số thuê bao"
    (raw / "early.csv").write_text(f"{head}\n2026-12,VNPT,Thành phố Thái Nguyên,Phường Quan Triều,FTTH,"
                                   "Hộ gia đình,120\n", encoding="utf-8")
    processed = tmp_path / "processed"
    november = stage.run(raw, processed, today=date(2026, 11, 25))
    assert any(f["path"] == "early.csv" and f["quarantined"] == 1 for f in november["inputs"])
    december = stage.run(raw, processed, today=date(2026, 12, 20))
    assert december["cache"] == {"reused": len(november["inputs"]) - 1, "read": 1}
    assert next(f for f in december["inputs"] if f["path"] == "early.csv")["kept"] == 1
    _same((processed, december), (tmp_path / "full", stage.run(raw, tmp_path / "full", today=date(2026, 12, 20),
                                                                 use_cache=False)))
    # Back to November: the entries made in November hold; the one made in December is read again (its row is
    # in November's future), and the result is November's full clean.
    earlier = stage.run(raw, processed, today=date(2026, 11, 25))
    assert earlier["cache"] == {"reused": len(november["inputs"]) - 1, "read": 1}
    assert next(f for f in earlier["inputs"] if f["path"] == "early.csv")["quarantined"] == 1
    _same((processed, earlier), (tmp_path / "full2", stage.run(raw, tmp_path / "full2", today=date(2026, 11, 25),
                                                                use_cache=False)))


def test_streamed_kinds_cut_into_many_batches_give_the_same_tables(raw, tmp_path, monkeypatch):
    """Coverage reports and speed tests are parsed a batch at a time while files are still read (a batch fills at
    a million rows: the sample never fills one). Batches of 2,000 rows, with a cold and a warm cache, must give
    what one batch gives."""
    whole = _full(raw, tmp_path / "full")
    monkeypatch.setattr(stage, "STREAM_BATCH_ROWS", 2_000)
    processed = tmp_path / "processed"
    cold = stage.run(raw, processed, today=TODAY)
    _same((processed, cold), whole)
    csv = sorted(raw.rglob("ispeed*.csv"))[0]
    csv.write_bytes(csv.read_bytes() + b"\n")   # one file read again, the others from the cache
    warm = stage.run(raw, processed, today=TODAY)
    assert warm["cache"]["read"] == 1
    _same((processed, warm), _full(raw, tmp_path / "full-again"))


def test_a_damaged_segment_s_files_are_read_again(raw, tmp_path):
    """A segment whose rows cannot be read (a disk filled while it was written, a file cut short) or whose index
    cannot be read is no segment: the raw files of its entries are read again, every other entry is still used, and
    the tables are those of a full clean."""
    processed = tmp_path / "processed"
    first = stage.run(raw, processed, today=TODAY)
    csv = sorted(raw.rglob("*.csv"))[0]
    csv.write_bytes(csv.read_bytes() + b"\n")   # its entry made again, in a second segment
    assert stage.run(raw, processed, today=TODAY)["cache"] == {"reused": len(first["inputs"]) - 1, "read": 1}
    older, newer = sorted((processed / ".cache" / "clean").iterdir())
    parts = sorted(older.glob("subscribers-*.parquet"))
    assert parts
    parts[0].write_bytes(parts[0].read_bytes()[:40])
    third = stage.run(raw, processed, today=TODAY)
    assert third["cache"] == {"reused": 1, "read": len(first["inputs"]) - 1}
    _same((processed, third), _full(raw, tmp_path / "full"))
    newest = sorted((processed / ".cache" / "clean").iterdir())[-1]
    (newest / "entries.json").write_text("{", encoding="utf-8")
    fourth = stage.run(raw, processed, today=TODAY)
    assert fourth["cache"]["read"] == len(first["inputs"]) - 1   # the damaged index's entries, read again
    _same((processed, fourth), _full(raw, tmp_path / "full-again"))


def test_speed_tests_waiting_in_files_give_what_held_in_memory_gives(raw, tmp_path, monkeypatch):
    """Nationally the speed tests' and subscribers' parsed batches wait on disk (`stage.SPILLED`), and the speed
    tests' repeats are found on a hash of the key. In batches of 2,000 rows, with a month's file sent again whole under another name (every row
    an identical repeat) and one test sent again with its download changed (both its rows in conflict), the tables,
    the quarantine and every file's accounting must be what the batches held in memory give."""
    speed = sorted(raw.rglob("ispeed*.csv"))
    assert len(speed) >= 2
    again = speed[0].with_name(speed[0].stem + "_gui-lai.csv")   # sorts after the file it repeats
    shutil.copy2(speed[0], again)
    lines = speed[1].read_text(encoding="utf-8-sig").splitlines()
    header, cells = lines[0].split(","), lines[1].split(",")
    cells[next(i for i, h in enumerate(header) if "tải xuống" in h.lower())] = "1500"
    fixed = speed[1].with_name(speed[1].stem + "_sua.csv")
    fixed.write_text("\n".join([lines[0], ",".join(cells)]) + "\n", encoding="utf-8")
    monkeypatch.setattr(stage, "STREAM_BATCH_ROWS", 2_000)
    spilled_dir, held_dir = tmp_path / "spilled", tmp_path / "held"
    spilled = stage.run(raw, spilled_dir, today=TODAY, use_cache=False)
    monkeypatch.setattr(stage, "SPILLED", ())
    held = stage.run(raw, held_dir, today=TODAY, use_cache=False)
    for name in ("speed_tests", "quarantine", "subscribers"):
        a, b = pl.read_parquet(spilled_dir / f"{name}.parquet"), pl.read_parquet(held_dir / f"{name}.parquet")
        assert a.equals(b), name
    assert _accounts(spilled) == _accounts(held)
    # What the planted repeats must give (counted from the files, not from the code's output):
    q = pl.read_parquet(spilled_dir / "quarantine.parquet")
    rel = lambda p: p.relative_to(raw).as_posix()
    copied = q.filter(pl.col("source_file") == rel(again))
    assert copied.height == len(lines_of(speed[0])) - 1
    # each row repeats its original, unless the original was itself set aside: then for the same reason
    own = q.filter(pl.col("source_file") == rel(speed[0])).select("row_number", "reason")
    assert copied.filter(~pl.col("reason").str.starts_with(f"repeats {rel(speed[0])} row ")).select(
        "row_number", "reason").sort("row_number").equals(own.sort("row_number"))
    conflict = q.filter(pl.col("raw").str.starts_with(cells[0] + " |"))
    assert sorted(conflict["source_file"]) == sorted([rel(speed[1]), rel(fixed)])
    assert set(conflict["reason"]) == {"test_id listed 2 times with different values"}
    kept = pl.read_parquet(spilled_dir / "speed_tests.parquet")
    assert kept.filter(pl.col("test_id") == cells[0]).height == 0
    assert not kept["source_file"].is_in([rel(again), rel(fixed)]).any()


def lines_of(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8-sig").splitlines() if line.strip()]


def test_a_table_streamed_from_batches_is_written_as_the_same_bytes_each_time(tmp_path):
    """Every later stage hashes the tables' bytes to know whether it must run again. A table streamed from eight
    batches' files (1.6 million rows, repeats set aside, sorted) came out as other bytes each time before its row
    groups were given a fixed size: it must be byte for byte the same, three times."""
    import hashlib

    import numpy as np

    from analysis.clean.repeats import split_repeats_on_files
    rng = np.random.default_rng(1)
    parts = []
    for k in range(8):
        n = 200_000
        ids = pl.Series(rng.integers(0, 5_000_000, n)).cast(pl.String).str.zfill(9)
        part = pl.DataFrame({"test_id": "IS" + ids, "ts": rng.integers(0, 10 ** 9, n),
                             "source_file": f"f{k}.csv"}).with_columns(
            pl.col("source_file").cast(pl.Categorical), _t=pl.lit(k), _row=pl.int_range(pl.len()))
        parts.append(tmp_path / f"part-{k}.parquet")
        part.write_parquet(parts[-1])
    digests = set()
    for i in range(3):
        rows = pl.concat([pl.scan_parquet(p) for p in parts], how="diagonal_relaxed")
        kept, _ = split_repeats_on_files(rows, ["test_id"])
        out = tmp_path / f"table-{i}.parquet"
        assert stage.write_table(kept.sort("ts", "test_id", maintain_order=True), out) > 1_000_000
        digests.add(hashlib.sha256(out.read_bytes()).hexdigest())
    assert len(digests) == 1


def test_a_full_disk_while_batches_wait_stops_the_clean_with_one_line_and_keeps_the_tables(raw, tmp_path,
                                                                                          monkeypatch):
    """The parsed batches wait in the staging folder: a disk that fills then stops the clean with a message naming
    the folder, and the tables of the last run stay whole and unchanged."""
    from analysis.errors import AnalysisError
    processed = tmp_path / "processed"
    stage.run(raw, processed, today=TODAY, use_cache=False)
    before = _tables(processed)
    write = pl.DataFrame.write_parquet

    def full(self, file, *args, **kwargs):
        if Path(file).parent.name == "batches":
            raise OSError(28, "No space left on device")
        return write(self, file, *args, **kwargs)
    monkeypatch.setattr(pl.DataFrame, "write_parquet", full)
    with pytest.raises(AnalysisError, match=r"batches: cannot keep the parsed .+ while the files are read "
                                            r"\(No space left on device\); nothing was written"):
        stage.run(raw, processed, today=TODAY, use_cache=False)
    assert _tables(processed) == before
    assert not [p for p in processed.iterdir() if p.name.startswith(".clean-")]   # no staging left behind
