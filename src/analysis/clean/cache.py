"""Cleaning a month's new files, not the whole folder again (issue 21).

Each raw file's cleaning, up to what depends on other files, is kept in `<processed>/.cache/clean/`: its
accounting, the tables found in it, its quarantined rows, its parsed rows of each kind and its approximate
matches, an entry. The entry's key is the file's path and content (sha256) and the context its rows were parsed
in: the code (every module of the package), the libraries that read and resolve, and the provinces. Today's month
matters too (a period in the future is an error): an entry made in an earlier month still holds when none of its
rows was in the future then, since a month that was past stays past. A file whose key is found is not read again;
what spans files (resubmissions, repeats across files, BTS positions, the sums and sorting of the tables) is done
again over all rows, so the tables come out as a full clean makes them (tested by comparing the two). Coverage
rows also depend on the hamlet registry: an entry records the registry it was parsed with, and a run finding
another registry cleans in full (`Stale`).

A clean that read files writes their entries together, as one segment (a folder): `entries.json`, each entry's
accounting and tables by key, written last; `quarantine.parquet`; and a Parquet file of parsed rows per kind and
batch, each row naming its entry (`_entry`), an entry's rows side by side. The newest segment holding a key has
its entry. A segment none of whose entries is of a file still in the raw folder is removed; an entry of a file
edited or removed leaves its segment's index, its rows staying in the segment's files until the segment goes.
(Until 2 December an entry was a folder of its own: 1,777 small files for the sample, 4.6 s of writing in a cold
clean and 2.2 s of reading them one by one in a warm one.)
"""
from __future__ import annotations

import hashlib
import json
import shutil
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from importlib.metadata import version
from pathlib import Path

import polars as pl

from analysis import areas, io, paths

FORMAT = 3   # the entries' layout: a change makes every entry unfound (3: segments, 2 December 2026)
FOLDER = Path(".cache") / "clean"
LIBRARIES = ("polars", "fastexcel", "vietnamadminunits", "rapidfuzz", "charset-normalizer", "beautifulsoup4")
INDEX = "entries.json"   # a segment's index, written last: a folder without it is not a segment


class Stale(Exception):
    """A cached coverage file was parsed with another hamlet registry than this run's: clean again in full."""


def context(provinces: list[str], primary: str | None, partition: tuple[str, ...] | None = None) -> str:
    """What every entry's rows depend on besides the file itself (and today's month, see `FileCache.get`)."""
    h = hashlib.sha256(f"{FORMAT}|{provinces}|{primary}|{partition}".encode())
    for lib in LIBRARIES:
        h.update(f"|{lib}={version(lib)}".encode())
    h.update(areas.FORMER_NAMES.read_bytes())   # names read as a province change what a row resolves to
    for p in sorted(paths.PACKAGE.rglob("*.py")):
        h.update(p.relative_to(paths.PACKAGE).as_posix().encode())
        h.update(p.read_bytes())
    return h.hexdigest()


@dataclass(frozen=True)
class Entry:
    meta: dict
    # Its quarantined and parsed rows, taken by `FileCache.get` where the file would have been read (on a reader
    # thread), out of its segment's files read once.
    frames: dict[str, pl.DataFrame] = field(default_factory=dict)

    def frame(self, name: str) -> pl.DataFrame:
        return self.frames[name]


class Segment:
    """One clean's entries: the index read at once, the rows on the first entry asked for (each file once, for
    every entry of the segment), an entry's rows then a slice of them."""

    def __init__(self, folder: Path, index: dict[str, dict], compact: dict[str, tuple[str, ...]] | None = None) -> None:
        self.folder, self.index = folder, index
        self.compact = compact or {}   # kind -> its text columns held as categories, cast once per file read
        self._lock = threading.Lock()
        self._rows: dict[str, dict[str, list[pl.DataFrame]]] | None = None   # name -> entry key -> its slices
        self._broken = False

    def frames(self, key: str, names: list[str]) -> dict[str, pl.DataFrame] | None:
        """The entry's frames by name, or None when the segment's files cannot be read (the file is read again)."""
        with self._lock:
            if self._rows is None and not self._broken:
                try:
                    self._rows = self._read()
                # (A file damaged in its pages can make polars' reader panic, an exception of its own kind.)
                except (OSError, ValueError, pl.exceptions.PolarsError, pl.exceptions.PanicException):
                    self._broken = True
            if self._broken:
                return None
        out = {}
        for name in names:
            # Taken, not kept: once every entry of a kind is cleaned, its file's rows can be freed.
            parts = self._rows.get(name, {}).pop(key, None)
            if not parts:   # the index names rows the files do not hold: as good as no entry
                return None
            out[name] = parts[0] if len(parts) == 1 else pl.concat(parts)
        return out

    def release(self) -> None:
        """The rows of entries no file asked for (of files edited or removed): not held through the clean."""
        with self._lock:
            self._rows = None
            self._broken = True   # no entry is taken after this

    def _read(self) -> dict[str, dict[str, list[pl.DataFrame]]]:
        rows: dict[str, dict[str, list[pl.DataFrame]]] = {}
        for path in sorted(self.folder.glob("*.parquet")):
            name = path.stem.rpartition("-")[0] if path.stem != "quarantine" else "quarantine"
            frame = pl.read_parquet(path)
            # Cast here, once for the file, not for each entry's slice (840 casts of the sample took 0.7 s).
            cast = [c for c in self.compact.get(name, ()) if c in frame.columns]
            if cast:
                frame = frame.with_columns(pl.col(c).cast(pl.Categorical) for c in cast)
            # Each run of an entry's rows is a slice of the file (no copy), its runs in their order.
            runs = frame.select(pl.col("_entry").rle()).unnest("_entry")
            frame = frame.drop("_entry")
            start = 0
            for length, key in runs.iter_rows():
                rows.setdefault(name, {}).setdefault(key, []).append(frame.slice(start, length))
                start += length
        return rows


def _segments(root: Path, compact: dict[str, tuple[str, ...]] | None = None) -> list[Segment]:
    """The segments under `root`, newest first; a folder without a readable index is none."""
    out = []
    for folder in sorted((f for f in root.iterdir() if f.is_dir() and not f.name.startswith(".")), reverse=True) \
            if root.is_dir() else []:
        try:
            index = json.loads((folder / INDEX).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(index, dict):
            out.append(Segment(folder, index, compact))
    return out


class FileCache:
    """Entries by key. This run's new entries are written to a staging segment, moved into place only once the
    clean they came from has succeeded (`commit`), which also drops the entries of files no longer in the raw
    folder."""

    def __init__(self, processed: Path, context_key: str, today: date, reading: bool = True,
                 compact: dict[str, tuple[str, ...]] | None = None) -> None:
        self.reading = reading   # False: every file read again (its entry rewritten), as after a new registry
        self.root = processed / FOLDER
        self.context = context_key
        self.month = f"{today:%Y-%m}"
        self.staging = self.root / ".staging"
        self.parsed: dict[str, set[str]] = {}   # entry key -> the kinds whose parsed rows were staged for it
        # The segments' indexes, read once: for the look-ups, and again by `commit` to prune them.
        self._segments = _segments(self.root, compact)
        self._found: dict[str, Segment] = {}   # key -> the newest segment holding it
        for segment in reversed(self._segments) if reading else []:
            self._found.update(dict.fromkeys(segment.index, segment))
        # Rows are written on a thread of their own while cleaning goes on; the clean waits for them before it
        # publishes, and a failed write fails it there.
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="clean-cache")
        self._pending: list[Future] = []
        self._entries: dict[str, dict] = {}           # this run's new entries: key -> meta
        self._written: dict[str, dict] = {}           # those of them in the staged index (`wait`)
        self._quarantined: list[pl.DataFrame] = []    # their quarantined rows, with `_entry`
        self._files: dict[str, int] = {}              # kind -> its parsed-row files staged so far
        self._staging = threading.Lock()

    def key(self, rel: str, digest: str) -> str:
        return hashlib.sha256(f"{rel}\0{digest}\0{self.context}".encode()).hexdigest()[:40]

    def get(self, rel: str, digest: str) -> Entry | None:
        key = self.key(rel, digest)
        segment = self._found.get(key)
        if segment is None:
            return None
        info = segment.index[key]
        made = info.get("month") if isinstance(info, dict) else None
        # Made this month; or earlier, with no row in the future then (what was past then is past now). A run
        # dated earlier than the entry cannot know which of its rows are in its future: read again.
        if not (made == self.month or (made is not None and made < self.month and not info.get("future"))):
            return None
        names = (["quarantine"] if info.get("quarantined_rows") else []) + list(info.get("parsed", []))
        frames = segment.frames(key, names)
        return None if frames is None else Entry(info, frames)

    def release(self) -> None:
        """Every file has been looked up: what the segments read and no file took is let go."""
        for segment in set(self._found.values()):
            segment.release()

    def stage(self, kind: str, rows: pl.DataFrame) -> None:
        """Parsed rows of many files at once, `_entry` naming each row's entry: one file, written on the writer
        thread. (A file per entry took 3.1-3.5 s of a cold clean of the sample.)"""
        with self._staging:   # from two threads at once (the parser's, the kinds cleaned side by side)
            for key in rows["_entry"].unique().to_list():
                self.parsed.setdefault(key, set()).add(kind)
            # Numbered by kind, so a segment's names are the same whichever kind was staged first.
            self._files[kind] = n = self._files.get(kind, 0) + 1
            self._pending.append(self._writer.submit(self._write, f"{kind}-{n:05d}", rows))

    def _write(self, name: str, rows: pl.DataFrame) -> None:
        self.staging.mkdir(parents=True, exist_ok=True)
        # As they come: file after file, so an entry's rows are side by side and a reader takes them as one slice
        # (rows of an entry in two places would be two slices, put back in their order).
        rows.write_parquet(self.staging / f"{name}.parquet", compression="lz4", statistics=False)

    def put(self, rel: str, digest: str, meta: dict, frames: dict[str, pl.DataFrame]) -> None:
        """A file's entry: its accounting and tables (`meta`) and its quarantined rows, if any (`frames`), kept till
        `wait` writes every entry of the run at once."""
        key = self.key(rel, digest)
        quarantined = frames.get("quarantine")
        self._entries[key] = {
            **meta, "month": self.month,
            "future": bool(quarantined is not None and quarantined["reason"].str.contains(" is in the future").any())}
        if quarantined is not None:
            self._quarantined.append(quarantined.with_columns(_entry=pl.lit(key)))

    def commit(self, keep: set[str]) -> None:
        """The staged segment into place; every entry not in `keep` (keys of this run's files), or held by a newer
        segment, dropped from its segment's index; a segment left with none removed."""
        self.wait()
        self.root.mkdir(parents=True, exist_ok=True)
        segments = list(self._segments)
        written = self._written
        if written and (self.staging / INDEX).exists():
            # Named by when it was made, so that names sort as segments age (the newest holds a key).
            folder = self.root / f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"
            self.staging.replace(folder)
            segments.insert(0, Segment(folder, written))
        shutil.rmtree(self.staging, ignore_errors=True)
        claimed: set[str] = set()
        live = {s.folder for s in segments}
        for segment in segments:   # newest first
            mine = {k: v for k, v in segment.index.items() if k in keep and k not in claimed}
            claimed.update(mine)
            if not mine:
                shutil.rmtree(segment.folder, ignore_errors=True)
            elif len(mine) < len(segment.index):
                io.write_json(mine, segment.folder / INDEX)
        for folder in self.root.iterdir():   # what is neither a segment nor staging: an older layout's entries
            if folder not in live and folder != self.staging:
                shutil.rmtree(folder, ignore_errors=True) if folder.is_dir() else folder.unlink()

    def wait(self, ignore_errors: bool = False) -> None:
        """Until every row sent is written, then the run's entries (a write that failed raises here, unless told to
        ignore it; then nothing more is written)."""
        pending, self._pending = self._pending, []
        for f in pending:
            if ignore_errors:
                f.exception()
            else:
                f.result()
        if ignore_errors or not self._entries:
            return
        self.staging.mkdir(parents=True, exist_ok=True)
        if self._quarantined:
            pl.concat(self._quarantined, how="diagonal_relaxed").write_parquet(
                self.staging / "quarantine.parquet", compression="lz4", statistics=False)
        io.write_json(self._entries, self.staging / INDEX)   # last: a folder without it is not a segment
        self._written.update(self._entries)
        self._entries, self._quarantined = {}, []

    def discard(self) -> None:
        self.wait(ignore_errors=True)
        self._entries, self._quarantined, self._written = {}, [], {}
        shutil.rmtree(self.staging, ignore_errors=True)
