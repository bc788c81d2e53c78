"""Cleaning a month's new files, not the whole folder again (issue 21).

Each raw file's cleaning, up to what depends on other files, is kept in `<processed>/.cache/clean/`: its
accounting, the tables found in it, its quarantined rows, its parsed rows of each kind and its approximate
matches. The entry's key is the file's path and content (sha256) and the context its rows were parsed in: the
code (every module of the package), the libraries that read and resolve, and the provinces. Today's month matters
too (a period in the future is an error): an entry made in an earlier month still holds when none of its rows was
in the future then, since a month that was past stays past. A file whose key is found is not read again; what spans files (resubmissions,
repeats across files, BTS positions, the sums and sorting of the tables) is done again over all rows, so the
tables come out as a full clean makes them (tested by comparing the two). Coverage rows also depend on the
hamlet registry: an entry records the registry it was parsed with, and a run finding another registry cleans in
full (`Stale`).
"""
from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from importlib.metadata import version
from pathlib import Path

import polars as pl

from analysis import areas, io, paths

FORMAT = 2   # the entries' layout: a change makes every entry unfound
FOLDER = Path(".cache") / "clean"
LIBRARIES = ("polars", "fastexcel", "vietnamadminunits", "rapidfuzz", "charset-normalizer", "beautifulsoup4")


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
    folder: Path
    meta: dict
    # Its quarantined and parsed rows, read by `FileCache.get` where the file would have been read (on a reader
    # thread), not one small file after another on the main thread (2.5 s of a clean from the cache).
    frames: dict[str, pl.DataFrame] = field(default_factory=dict)

    def frame(self, name: str) -> pl.DataFrame:
        return self.frames[name]


class FileCache:
    """Entries by key; new ones are written to a staging folder and moved into place only once the clean they
    came from has succeeded (`commit`), which also drops the entries of files no longer in the raw folder."""

    def __init__(self, processed: Path, context_key: str, today: date, reading: bool = True) -> None:
        self.reading = reading   # False: every file read again (its entry rewritten), as after a new registry
        self.root = processed / FOLDER
        self.context = context_key
        self.month = f"{today:%Y-%m}"
        self.staging = self.root / ".staging"
        self.used: set[str] = set()
        self.parsed: dict[str, set[str]] = {}   # entry key -> the kinds whose parsed rows were staged for it
        # Entries are written on a thread of their own while cleaning goes on (3 s of a cold clean of the sample
        # on the main thread); the clean waits for them before it publishes, and a failed write fails it there.
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="clean-cache")
        self._pending: list[Future] = []

    def key(self, rel: str, digest: str) -> str:
        return hashlib.sha256(f"{rel}\0{digest}\0{self.context}".encode()).hexdigest()[:40]

    def get(self, rel: str, digest: str) -> Entry | None:
        folder = self.root / self.key(rel, digest)
        meta = folder / "entry.json"
        if not self.reading or not meta.exists():
            return None
        try:
            info = json.loads(meta.read_text(encoding="utf-8"))
        except (OSError, ValueError):   # a damaged entry is as good as none: the file is read again
            return None
        made = info.get("month")
        # Made this month; or earlier, with no row in the future then (what was past then is past now). A run
        # dated earlier than the entry cannot know which of its rows are in its future: read again.
        if not (made == self.month or (made is not None and made < self.month and not info.get("future"))):
            return None
        names = (["quarantine"] if info.get("quarantined_rows") else []) + list(info.get("parsed", []))
        try:
            # Parsed rows were written partitioned by entry (`stage`), and polars keeps the key in each part.
            frames = {n: pl.read_parquet(folder / f"{n}.parquet").drop("_entry", strict=False) for n in names}
        except (OSError, pl.exceptions.PolarsError):
            return None
        return Entry(folder, info, frames)

    def stage(self, kind: str, rows: pl.DataFrame) -> None:
        """Parsed rows of many files at once, `_entry` naming each row's entry: one partitioned write (polars
        writes the parts in parallel), each part then moved to its entry as `<kind>.parquet`. (A write per file
        took 2.5 s of a 13 s clean of the sample.)"""
        for key in rows["_entry"].unique().to_list():
            self.parsed.setdefault(key, set()).add(kind)
        self._pending.append(self._writer.submit(self._stage, kind, rows))

    def _stage(self, kind: str, rows: pl.DataFrame) -> None:
        parts = self.staging / ".parts" / f"{kind}-{uuid.uuid4().hex}"
        rows.write_parquet(parts, partition_by="_entry")
        for folder in parts.iterdir():   # `_entry=<key>`, holding one file
            key = folder.name.partition("=")[2]
            (self.staging / key).mkdir(parents=True, exist_ok=True)
            # One file a part: polars splits only a part above 4 GB, and a file's rows are at most a 512 MB
            # file's (a larger CSV is read in parts and never cached).
            (written,) = folder.iterdir()
            written.replace(self.staging / key / f"{kind}.parquet")
        shutil.rmtree(parts, ignore_errors=True)

    def put(self, rel: str, digest: str, meta: dict, frames: dict[str, pl.DataFrame]) -> None:
        self._pending.append(self._writer.submit(self._put, rel, digest, meta, frames))

    def _put(self, rel: str, digest: str, meta: dict, frames: dict[str, pl.DataFrame]) -> None:
        folder = self.staging / self.key(rel, digest)
        folder.mkdir(parents=True, exist_ok=True)
        quarantined = frames.get("quarantine")
        meta = {**meta, "month": self.month,
                "future": bool(quarantined is not None and quarantined["reason"].str.contains(" is in the future").any())}
        for name, frame in frames.items():
            frame.write_parquet(folder / f"{name}.parquet")
        io.write_json(meta, folder / "entry.json")   # last: a folder without it is not an entry

    def commit(self, keep: set[str]) -> None:
        """Staged entries into place; every other entry not in `keep` (keys of this run's files) removed."""
        self.wait()
        self.root.mkdir(parents=True, exist_ok=True)
        if self.staging.exists():
            for folder in self.staging.iterdir():
                if folder.name.startswith("."):   # what `stage` left of its partitioned writes
                    continue
                target = self.root / folder.name
                shutil.rmtree(target, ignore_errors=True)
                folder.replace(target)
            shutil.rmtree(self.staging, ignore_errors=True)
        for folder in self.root.iterdir():
            if folder.name not in keep and folder.name != self.staging.name:
                shutil.rmtree(folder, ignore_errors=True)

    def wait(self, ignore_errors: bool = False) -> None:
        """Until every entry sent is written (a write that failed raises here, unless told to ignore it)."""
        pending, self._pending = self._pending, []
        for f in pending:
            if ignore_errors:
                f.exception()
            else:
                f.result()

    def discard(self) -> None:
        self.wait(ignore_errors=True)
        shutil.rmtree(self.staging, ignore_errors=True)
