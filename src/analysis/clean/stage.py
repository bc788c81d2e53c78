"""`python -m analysis clean`: every raw file read, every row kept, quarantined or counted as non-data.

The flow: find each file's sheets and the kind each holds by its header; gather every kind's rows into one
frame; parse and resolve them column by column (`reports`, `network`, `registers`); send failing rows to
quarantine with their reason; let later resubmissions replace earlier ones; write the tables and a manifest
whose row accounting balances for every file.
"""
from __future__ import annotations

import hashlib
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np
import polars as pl

from analysis import __version__, faults, geography, io
from analysis.areas import national_units, province_boxes, reference_areas
from analysis.clean import network, registers, reports
from analysis.clean.accounts import QUARANTINE_SCHEMA, Account, raw_rows, raw_text
from analysis.clean.context import BTS_RADIUS_M, Context
from analysis.clean.hamlets import HamletResolver
from analysis.clean.cache import Entry, FileCache, Stale, context
from analysis.clean.kinds import KINDS, MEASURES, near_miss, pivot_near_miss
from analysis.clean.partition import Partition, partition_of
from analysis.clean.writing import Order, write_by_month, write_table
from analysis.clean.readers import HEADER_SEARCH_ROWS, MAX_FILE_BYTES, TEXTS, Sheet, csv_parts, read_file
from analysis.clean.repeats import split_repeats, split_repeats_on_files
from analysis.clean.resolve import AreaResolver
from analysis.clean.resubmissions import latest_only, submission_times
from analysis.clean.scheduling import Batches, bounded_map, chunks
from analysis.clean.tables import Table, build, continue_table, duplicated_columns, find_header, find_table
from analysis.crosswalk import area_crosswalk, new_provinces
from analysis.errors import AnalysisError


@dataclass(frozen=True)
class Recipe:
    """How one kind is cleaned: each part says what it needs, so the stage treats every kind alike."""
    clean: Callable[[pl.DataFrame, Context], pl.DataFrame]
    finish: Callable[[pl.DataFrame, Context], pl.DataFrame]   # the kept rows into the table (with the settings)
    key: tuple[str, ...]          # one row per key in the output; repeats are merged or quarantined
    monthly_report: bool = False  # an operator's report for a month: a later submission replaces an earlier one
    # Repeats of a key in one file are parts of one figure (a commune split over two rows): this sums them.
    summed: Callable[[pl.DataFrame], pl.DataFrame] | None = None
    # The kinds whose cleaned tables this one reads (cleaned before it), and how it takes them into the context;
    # without them its rows are counted as not cleaned, with the reason.
    needs: tuple[str, ...] = ()
    uses: Callable[[Context, dict[str, pl.DataFrame]], None] | None = None
    # A SPILLED kind's sort, which begins with its month: its table is written sorted a month at a time.
    order: Order | None = None


def _rows(finish: Callable[[pl.DataFrame], pl.DataFrame]) -> Callable[[pl.DataFrame, Context], pl.DataFrame]:
    return lambda frame, _ctx: finish(frame)


def _hamlets(ctx: Context, done: dict[str, pl.DataFrame]) -> None:
    ctx.hamlets = HamletResolver(done["hamlet_registry"])


# In dependency order: the hamlet registry resolves the coverage reports' hamlets.
RECIPES: dict[str, Recipe] = {
    "hamlet_registry": Recipe(registers.hamlet_registry, _rows(registers.finish_hamlet_registry), ("hamlet_code",)),
    "population": Recipe(registers.population, _rows(registers.finish_population), ("commune_code", "year")),
    "subscribers": Recipe(reports.subscribers, _rows(reports.finish_subscribers),
                          ("period", "operator", "commune_code", "service", "segment"), True, reports.sum_parts,
                          order=reports.SUBSCRIBER_ORDER),
    "hamlet_coverage": Recipe(reports.hamlet_coverage, _rows(reports.finish_hamlet_coverage),
                              ("period", "operator", "hamlet_code"), True, needs=("hamlet_registry",), uses=_hamlets),
    "bts_sites": Recipe(network.bts_sites, lambda f, ctx: network.finish_bts_sites(f, ctx.bts_radius_m),
                        ("period", "operator", "site_id"), True),
    "speed_tests": Recipe(network.speed_tests, _rows(network.finish_speed_tests), ("test_id",),
                          order=network.SPEED_ORDER),
    "smartphone_survey": Recipe(registers.smartphone_survey, _rows(registers.finish_smartphone_survey),
                                ("area_code", "year")),
    "state_apps": Recipe(registers.state_apps, _rows(registers.finish_state_apps), ("as_of", "app")),
    "milestones": Recipe(registers.milestones, _rows(registers.finish_milestones), ("as_of", "milestone")),
}
KINDS_BY_NAME = {k.name: k for k in KINDS}
READERS = 2  # files parsed at once; more does not help on two cores
# A file this large is read with no other beside it: polars already parses it on every core, and a second one at
# the same time only held both in memory (measured on the national set: see the README's "Memory again"). Every
# month of the national i-Speed exports is (15-80 MB); no file of the province's is (1.6 MB at most).
ALONE_BYTES = 16 << 20
# Kinds whose rows depend on no other file's rows until the final key check: parsed a batch at a time while the
# files are read, so a national year of i-Speed tests is never held as text all at once (issue 8).
STREAMED = ("speed_tests", "subscribers")
# Their parsed rows (and the coverage reports', 6 million rows nationally) wait for the last file with their repeated
# labels held as categories (4 bytes a cell).
HELD_COMPACT = (*STREAMED, "hamlet_coverage")
COMPACT = ("operator", "network", "service", "segment", "province_code", "district_code", "commune_code",
           "hamlet_code", "source_file")
# Streamed kinds whose parsed batches wait on disk, not in memory, till every file is read, and are then cleaned as a
# query over those files that streams into the table: nationally 20 million speed tests and 12.6 million subscriber
# rows (held, 1.7 and 0.6 GB, with the stage's peak at 5.9 GB).
SPILLED = STREAMED
STREAM_BATCH_ROWS = 1_000_000
# A run that has read at most this many rows is small (a province's six years: 1.4 million; a tenth of the national
# set: 4.9 million). Its streamed kinds are parsed in batches of SMALL_BATCH_ROWS, so that they are parsed while files
# are still read: in batches of a million a province's never filled one, and all its speed tests were parsed after
# the last file (+450 MB at once). And its kinds are finished side by side (`_clean_into`): one after another they
# kept 1.3 of the two cores busy. A large run keeps batches of a million (in batches of 250,000 the national clean
# took 372 s of CPU against 343, one run each) and one kind after another (forced side by side, the national kinds
# took 105 s against 93 s, one run each; and two streamed kinds held at once took it to 8.4 GB before they spilled).
SMALL_RUN_ROWS = 2_000_000
SMALL_BATCH_ROWS = 250_000


def batch_rows(rows_read: int) -> int:
    """The rows a streamed kind's batch holds once a run has read `rows_read` rows (of every kind)."""
    return min(SMALL_BATCH_ROWS, STREAM_BATCH_ROWS) if rows_read <= SMALL_RUN_ROWS else STREAM_BATCH_ROWS


# The tables this stage writes (and removes when stale), in the manifest's order.
OWNED = ("reference_areas", "area_crosswalk", *RECIPES, "quarantine")
WRITES = ("manifest.json",)  # written last, listing every table above that this run wrote (and geography.json)


def _bounds(provinces: list[str]) -> tuple[float, float, float, float]:
    """The box around the provinces' boxes: a coordinate outside it cannot be in any of them."""
    b = province_boxes().filter(pl.col("province_code").is_in(provinces))
    return b["lat_min"].min(), b["lat_max"].max(), b["lon_min"].min(), b["lon_max"].max()


def provinces_in(scope: str | list[str] | None) -> list[str]:
    """The province codes of a scope, the primary one first: None (the run's, `provinces` in config/run.yml),
    'all' (a ministry's run, no primary), or two-digit codes as a list or comma-separated (the first is the
    primary)."""
    known = sorted(national_units()["provinceCode"].unique())
    if scope is None:
        from analysis.run.config import default_provinces
        scope = default_provinces()
    if scope == "all":
        return known
    codes = [c.strip().zfill(2) for c in (scope.split(",") if isinstance(scope, str) else scope) if c.strip()]
    unknown = [c for c in codes if c not in known]
    if unknown or not codes:
        raise AnalysisError(f"unknown province code(s) {unknown or scope!r}: use two-digit statistics-office codes, or all")
    return list(dict.fromkeys(codes))


@dataclass
class Cleaned:
    """A kind's table, and what cleaning it set aside or learned, merged into the run's in the kinds' order
    (`Cleaner.merge`): kinds cleaned side by side give what kinds cleaned one after another give, to the order of
    the quarantine's rows and of the replacements in the manifest."""
    table: pl.DataFrame | pl.LazyFrame | None
    own: list[pl.DataFrame] = field(default_factory=list)      # rows quarantined within their file (cached with it)
    across: list[pl.DataFrame] = field(default_factory=list)   # repeats of a key across files (never cached)
    replaced: list[dict] = field(default_factory=list)
    submitted: dict[str, tuple[str, str]] = field(default_factory=dict)   # file -> (when, the rule that said so)


@dataclass
class Loaded:
    """One raw file as a reader thread left it: its hash and its sheets, each with the table found in it; or the
    reason it cannot be read; or a CSV too large to read at once, left to the main thread a part at a time."""
    path: Path
    digest: str
    sheets: list[Sheet] = field(default_factory=list)
    tables: list[Table | None] = field(default_factory=list)
    encoding: str | None = None
    problem: str | None = None
    in_parts: bool = False
    read_as: str | None = None   # what a file named as a workbook really was (an HTML table, a CSV)
    cached: Entry | None = None  # the file's cleaning as a run before left it (clean/cache.py)


class Cleaner:
    def __init__(self, raw: Path, today: date, bts_radius_m: float, provinces: list[str],
                 primary: str | None, cache: FileCache | None = None, partition: Partition | None = None) -> None:
        self.raw = raw
        self.cache = cache
        self._first: dict[str, int] = {}              # file -> the index of its first table in ctx.tables
        # kind -> parsed rows of cached files, each with what makes its `_t` global (its file's first table now)
        self._cached: dict[str, list[tuple[pl.DataFrame, int]]] = {}
        self._registry_keys: set[str] = set()         # the registries cached coverage rows were parsed with
        self._global_quarantine: list[pl.DataFrame] = []   # rows set aside across files (repeats of a key)
        self._uncacheable: set[str] = set()           # files read a part at a time, whose sums span batches
        self._restored: set[str] = set()              # files taken from the cache
        self._importing: threading.Thread | None = None   # scipy imported ahead once a BTS list is read (network)
        # Names are resolved against `provinces`; the reference tables and the manifest are of the provinces whose
        # rows are kept: the same, or a partition's (every province resolved, its own kept).
        self.partition = partition
        self.provinces = list(partition.old) if partition else provinces
        self.primary = primary = primary if primary in provinces else None
        areas = reference_areas(provinces)
        formed_from: dict[str, list[str]] = {}
        for old, new in area_crosswalk(provinces).select("old_code", "new_code").iter_rows():
            formed_from.setdefault(new, []).append(old)
        self.ctx = Context(AreaResolver(areas, primary), today, [], bounds=_bounds(provinces), bts_radius_m=bts_radius_m,
                           reformed=AreaResolver.reformed(areas), formed_from=formed_from,
                           joined=frozenset(c for c in provinces if primary and c != primary
                                            and new_provinces([c]) == new_provinces([primary])))
        self.accounts: dict[str, Account] = {}
        self._parsed: dict[str, list[pl.DataFrame]] = {}
        self.spill: Path | None = None                # a folder for the SPILLED kinds' parsed batches, when set
        self._spilled: dict[str, list[Path]] = {}     # kind -> its batches' files there, in the order sent
        self.rows_read = 0   # by every file read so far, the cached ones too
        self.batches = Batches(self.ctx.tables, STREAMED, self._parse_batch, lambda: batch_rows(self.rows_read))
        self.quarantine: list[pl.DataFrame] = []
        self.replaced: list[dict] = []
        # A file's counts are added to from more than one thread (the parser's, the kinds cleaned side by side), and
        # `+=` on an attribute is a read and a write that another thread can come between.
        self._counting = threading.Lock()

    def _count(self, file: str, what: str, n: int) -> None:
        with self._counting:
            acc = self.accounts[file]
            setattr(acc, what, getattr(acc, what) + n)

    # -- reading ----------------------------------------------------------------------------------------------
    def _file_problem(self, acc: Account, message: str) -> None:
        acc.error = message
        self.quarantine.append(pl.DataFrame([{"source_file": acc.path, "sheet": None, "row_number": None,
                                              "kind": None, "column": None, "reason": message, "raw": ""}],
                                            schema=QUARANTINE_SCHEMA))

    def load(self, paths: list[Path]) -> list[Loaded]:
        """Hash and parse a few files (`scheduling.chunks`) and find each sheet's table; sheets laid out alike are
        classified together, whichever file they are in (thread-safe: fastexcel, polars and hashlib release the
        GIL while they work, so two chunks are read and classified at once)."""
        loaded = [self._load(p) for p in paths]
        sheets = [(item, sheet) for item in loaded for sheet in item.sheets]
        found = [find_header(item.path.relative_to(self.raw).as_posix(), sheet)
                 if sheet.frame.height and not sheet.hidden else None for item, sheet in sheets]
        # A streamed kind is parsed a batch at a time soon after: held as categories, its labels would be hashed
        # into categories and straight back into text.
        tables = iter(build([f for f in found if f], keep_text=STREAMED))
        for (item, _), f in zip(sheets, found):
            item.tables.append(next(tables) if f else None)
        return loaded

    def _load(self, path: Path) -> Loaded:
        rel = path.relative_to(self.raw).as_posix()
        # A CSV within the size limit is read once, for its hash and its rows (a national set is 5 GB of them).
        data = (path.read_bytes() if path.suffix.lower() in TEXTS and 0 < path.stat().st_size
                <= MAX_FILE_BYTES else None)
        digest = hashlib.sha256(data).hexdigest() if data is not None else io.sha256(path)
        if self.cache is not None and (entry := self.cache.get(rel, digest)) is not None:
            return Loaded(path, digest, cached=entry)
        if data is None and path.suffix.lower() in TEXTS and path.stat().st_size > MAX_FILE_BYTES:
            return Loaded(path, digest, in_parts=True)  # read a part at a time by the main thread, in `read`
        try:
            sheets, encoding, read_as = read_file(path, rel, data)
        except AnalysisError as exc:
            return Loaded(path, digest, problem=exc.message)
        return Loaded(path, digest, sheets, [], encoding, read_as=read_as)

    def read(self, loaded: Loaded) -> None:
        rel = loaded.path.relative_to(self.raw).as_posix()
        acc = self.accounts[rel] = Account(rel, loaded.digest, loaded.path.stat().st_size)
        self._first[rel] = len(self.ctx.tables)
        self._read(loaded, acc, rel)
        self.rows_read += acc.rows_read
        if self._importing is None and "bts_sites" in acc.kinds:
            self._importing = network.import_ahead()

    def _read(self, loaded: Loaded, acc: Account, rel: str) -> None:
        if loaded.cached is not None:
            self._restore(acc, loaded.cached)
            self._restored.add(rel)
            return
        if loaded.problem is not None:
            self._file_problem(acc, loaded.problem)
            return
        if loaded.in_parts:
            self._read_parts(loaded.path, acc)
            return
        acc.encoding = loaded.encoding
        acc.sheets = len(loaded.sheets)
        if loaded.read_as:
            acc.notes["read_as"] = loaded.read_as
        for sheet, table in zip(loaded.sheets, loaded.tables):
            self._add(acc, sheet, table)

    def _restore(self, acc: Account, entry: Entry) -> None:
        """A file from the cache: its accounting, its tables (without their rows), its quarantined rows, its
        parsed rows of each kind (their table numbers moved to where its tables now stand) and its matches."""
        m = entry.meta
        for name in ("sheets", "rows_read", "quarantined", "elsewhere", "encoding", "error"):
            setattr(acc, name, m["account"][name])
        acc.kinds.update(m["account"]["kinds"])
        acc.non_data.update(m["account"]["non_data"])
        acc.notes.update(m["account"]["notes"])
        first = len(self.ctx.tables)
        for t in m["tables"]:
            self.ctx.tables.append(Table(
                acc.path, t["sheet"], KINDS_BY_NAME[t["kind"]], {int(k): v for k, v in t["columns"].items()},
                t["headers"], [], t["titles"], 0, pl.DataFrame(), {}, 0, given=t["given"],
                months={int(k): v for k, v in t["months"].items()}, measure=t["measure"],
                figures_per_row=t["figures_per_row"], rows=t["rows"], cached=True))
        if m["quarantined_rows"]:
            self.quarantine.append(entry.frame("quarantine").cast(QUARANTINE_SCHEMA))
        # Held as the cache gave them (a HELD_COMPACT kind's labels already categories): their table numbers are
        # moved when the kind's rows are taken, in one operation (one per file took 1.5 s of the sample's 5 s).
        for kind in m["parsed"]:
            self._cached.setdefault(kind, []).append((entry.frame(kind), first))
        for text, code, how, n in m["fuzzy"]:
            self.ctx.fuzzy[(acc.path, text, code, how)] += n
        if m.get("registry") is not None:
            self._registry_keys.add(m["registry"])

    def _add(self, acc: Account, sheet, table, reason: str | None = None) -> str | None:
        """Count a sheet's rows and keep its table; or quarantine its rows (no table, or one whose header is
        ambiguous) and return the reason."""
        acc.rows_read += sheet.frame.height
        if sheet.frame.height == 0:
            return None
        if sheet.hidden:   # its sender hid it (a lookup list, an old month): not data, and the manifest says so
            acc.non_data["hidden_sheet"] += sheet.frame.height
            acc.notes.setdefault("hidden_sheets", []).append(sheet.name)
            return None
        if table is None:
            return self._unrecognised(acc, sheet, reason)
        twice = duplicated_columns(table)
        if twice:
            return self._unrecognised(acc, sheet, f"the header names {twice} more than once: which column to read "
                                                   f"is not clear")
        acc.kinds.add(table.kind.name)
        # A pivoted sheet's data row holds one figure per month: each cell is accounted for, not the row.
        acc.rows_read += table.frame.height * (table.figures_per_row - 1)
        if table.months and not table.continues:
            acc.notes.setdefault("pivoted", []).append(
                {"sheet": table.sheet, "months": list(table.months.values()), "measure": table.measure,
                 "rows": table.frame.height, "cells": table.frame.height * table.figures_per_row})
        if table.given and not table.continues:
            acc.notes.setdefault("stated_in_title", []).append({"sheet": table.sheet, **table.given})
        acc.non_data["title"] += table.rows_above
        acc.non_data["header"] += len(table.header_rows)
        for why, n in table.non_data.items():
            acc.non_data[why] += n
        if table.pasted:   # listed in the manifest: each repeat, the row it repeats, counted once
            acc.notes.setdefault("pasted_twice", []).extend(
                {"sheet": table.sheet, "row": row, "same_as_row": first} for row, first in table.pasted)
        self.ctx.tables.append(table)
        return None

    def _read_parts(self, path: Path, acc: Account) -> None:
        """A CSV too large to read at once, a part of whole lines at a time: the first part's header carries on
        over the later parts, and a streamed kind's rows are parsed after each part, so its text never piles up.
        A problem found in a later part quarantines the rest of the file with the reason, after the rows already
        read were counted."""
        rel = acc.path
        self._uncacheable.add(rel)
        first, reason = None, None
        acc.sheets = 1
        try:
            for sheet, encoding in csv_parts(path, rel):
                acc.encoding = acc.encoding if acc.encoding == "cp1258" else encoding
                if first is None and reason is None:
                    first = find_table(rel, sheet, keep_text=STREAMED)
                    # Without a usable header every later row is quarantined for the same reason.
                    reason = self._add(acc, sheet, first)
                    first = None if reason else first
                elif first is None:
                    self._add(acc, sheet, None, reason)
                else:
                    self._add(acc, sheet, continue_table(first, sheet, keep_text=STREAMED))
                # Each part of a streamed kind is a batch, parsed while the next part is read, and no further
                # part is read until it is: a file's parts come faster than they parse.
                if first is not None and first.kind.name in STREAMED:
                    self.batches.send(first.kind.name)
                    self.batches.wait_backlog(1)
        except AnalysisError as exc:
            # The rows before the problem were read and are accounted for; the rest of the file is not read.
            self._file_problem(acc, exc.message if acc.rows_read == 0 else
                               f"{exc.message}; the file was read up to row {acc.rows_read:,} and the rest not")

    def _unrecognised(self, acc: Account, sheet, reason: str | None = None) -> str:
        """A sheet with no header of a known kind (or an ambiguous one): its blank rows are non-data, every other
        row is quarantined with the reason."""
        f = sheet.frame
        cells = [c for c in f.columns if c != "_row"]
        blank = f.select(pl.all_horizontal([pl.col(c).is_null() for c in cells])).to_series()
        acc.non_data["blank"] += int(blank.sum())
        rows = f.filter(~blank)
        head = [list(r[1:]) for r in f.head(HEADER_SEARCH_ROWS).iter_rows()]
        near, pivoted = near_miss(head), pivot_near_miss(head)
        reason = reason or pivoted or (
            f"header looks like {near[0].name} but has no column for: {', '.join(near[1])}" if near
            else f"no header row of a known kind in the first {HEADER_SEARCH_ROWS} rows")
        self._count(acc.path, "quarantined", rows.height)
        self.quarantine.append(pl.DataFrame({
            "source_file": [acc.path] * rows.height, "sheet": [sheet.name] * rows.height,
            "row_number": rows["_row"], "kind": [None] * rows.height, "column": [None] * rows.height,
            "reason": [reason] * rows.height, "raw": raw_text(rows)}, schema=QUARANTINE_SCHEMA))
        return reason

    # -- cleaning ---------------------------------------------------------------------------------------------
    def _kind_rows(self, kind: str, which: list[int] | None = None) -> pl.DataFrame | None:
        parts = [t.data().with_columns(_t=pl.lit(i, pl.Int32)) for i, t in enumerate(self.ctx.tables)
                 if t.kind.name == kind and not t.cached and (which is None or i in which)]
        return pl.concat(parts, how="diagonal") if parts else None

    def _cached_rows(self, kind: str, which: set[int] | None) -> pl.DataFrame | None:
        """The parsed rows of cached files among tables `which` (all when None), taken out of the cache's hold."""
        held = self._cached.get(kind, [])
        if not held:
            return None
        frames = pl.concat([f for f, _ in held], how="diagonal_relaxed")
        if any(shift for _, shift in held):
            shifts = np.repeat([shift for _, shift in held], [f.height for f, _ in held])
            frames = frames.with_columns(pl.col("_t") + pl.Series(shifts, dtype=frames["_t"].dtype))
        if which is None:
            self._cached[kind] = []
            return frames
        mine = frames["_t"].is_in(list(which))
        rest, taken = frames.filter(~mine), frames.filter(mine)
        self._cached[kind] = [(rest, 0)] if rest.height else []
        return taken if taken.height else None

    def _to_quarantine(self, kind: str, bad: pl.DataFrame, sink: list) -> None:
        """Rows with `_t`, `_row`, `_why`, `_col` go to `sink` with the row as sent: a batch's, or a kind's
        (`Cleaned`), joined to the run's in a fixed order whichever thread quarantined them."""
        for (t,), part in bad.sort("_t", "_row").group_by("_t", maintain_order=True):
            table = self.ctx.tables[t]
            if table.frame.is_empty():  # a streamed kind's text is freed once parsed: show the row as read
                shown = [c for c in part.columns if not c.startswith("_") and c != "source_file"]
                sink.append(part.select(
                    source_file=pl.lit(table.file), sheet=pl.lit(table.sheet, pl.String), row_number="_row",
                    kind=pl.lit(kind), column="_col", reason="_why",
                    raw=pl.concat_str([(pl.col(c).dt.strftime("%Y-%m-%d %H:%M:%S") if part.schema[c] == pl.Datetime
                                        else pl.col(c).cast(pl.String)).fill_null("") for c in shown], separator=" | ")
                ).cast(QUARANTINE_SCHEMA))
                self._count(table.file, "quarantined", part.height)
                continue
            sent = table.frame.join(part.select("_row", "_why", "_col"), on="_row", how="inner")
            sink.append(pl.DataFrame({
                "source_file": [table.file] * sent.height, "sheet": [table.sheet] * sent.height,
                "row_number": sent["_row"], "kind": [kind] * sent.height, "column": sent["_col"],
                "reason": sent["_why"], "raw": raw_text(sent, table.removed, table.width)}, schema=QUARANTINE_SCHEMA))
            self._count(table.file, "quarantined", sent.height)

    def _parse(self, kind: str, which: set[int] | None, sink: list) -> pl.DataFrame | None:
        """Parse the rows of a kind's tables (all, or those in `which`), quarantine the failures into `sink` and
        free the rows as sent; return the parsed rows that passed, with their source file."""
        rows = self._kind_rows(kind, which)
        cached = self._cached_rows(kind, which)
        if rows is None:
            return cached
        recipe = RECIPES[kind]
        if self.partition is not None:   # other provinces' rows, where the province column tells, before parsing
            rows = rows.filter(self._mine(rows))
        parsed = recipe.clean(rows.drop("_extra", "_cell", strict=False), self.ctx)
        if self.partition is not None:   # and where only the place found tells
            mine = self._mine(rows, parsed)
            rows, parsed = rows.filter(mine), parsed.filter(mine)
        # A row with cells beyond the header (an unquoted decimal comma, a stray value) cannot be trusted at all.
        if "_cell" in rows.columns:   # a pivoted sheet's figure: the quarantine names its cell's column and month
            parsed = parsed.with_columns(_col=pl.when(rows["_cell"].is_not_null() & pl.col("_col").is_in(
                ["period", *MEASURES])).then(pl.format("{} {}", pl.col("_col"), rows["_cell"]))
                .otherwise(pl.col("_col")))
        parsed = parsed.with_columns(rows["_extra"]).with_columns(
            _why=pl.when(pl.col("_extra").is_not_null())
            .then(pl.format("more cells than the header has columns (extra: '{}')", pl.col("_extra")))
            .otherwise(pl.col("_why")),
            _col=pl.when(pl.col("_extra").is_not_null()).then(None).otherwise(pl.col("_col"))).drop("_extra")
        self._to_quarantine(kind, parsed.filter(pl.col("_why").is_not_null()), sink)
        good = parsed.filter(pl.col("_why").is_null()).drop("_why", "_col")  # (empty text: 32 bytes a row)
        files = [t.file for t in self.ctx.tables]
        for i, t in enumerate(self.ctx.tables):  # the rows as sent are no longer needed: free them
            if t.kind.name == kind and (which is None or i in which):
                t.frame = t.frame.clear()
        good = good.with_columns(source_file=pl.col("_t").replace_strict(list(range(len(files))), files,
                                                                          return_dtype=pl.String))
        if recipe.summed:  # per batch (whole files), so the parts are summed while files are still being read
            good = recipe.summed(good)
        if kind in HELD_COMPACT:
            good = good.with_columns(pl.col(c).cast(pl.Categorical) for c in COMPACT if c in good.columns)
        if self.cache is not None:   # each file's parsed rows, kept for the next run
            self._stage_parsed(kind, good)
        if cached is not None:       # in table order, as a clean of every file gives them
            good = pl.concat([good, cached], how="diagonal_relaxed").sort("_t", maintain_order=True)
        return good

    def _mine(self, rows: pl.DataFrame, parsed: pl.DataFrame | None = None) -> pl.Series:
        """A partition run: which rows are its own (before parsing, or with `parsed`, the same rows parsed); the
        others are counted in their files' accounts as elsewhere."""
        away = self.partition.elsewhere(rows, parsed, self.ctx.areas)
        if away.any():
            for t, n in rows.select("_t").filter(away).group_by("_t").len().iter_rows():
                self._count(self.ctx.tables[t].file, "elsewhere", n)
        return ~away

    def _parse_in_batches(self, kind: str, sink: list) -> pl.DataFrame | None:
        """A kind that is not streamed (it needs another kind's table, or every file's rows together) is still parsed
        a batch of whole tables at a time, each batch's text freed once parsed: the parse's working columns over a
        national kind's 6 million rows at once were the stage's peak (4.4 GB)."""
        batches: list[set[int]] = [set()]
        rows, last = 0, None
        for i, t in enumerate(self.ctx.tables):
            if t.kind.name == kind:
                # A batch ends only between files: each file's parsed rows are cached whole, once (`_stage_parsed`).
                if rows >= STREAM_BATCH_ROWS and t.file != last:
                    batches.append(set())
                    rows = 0
                batches[-1].add(i)
                rows += t.frame.height
                last = t.file
        parts = [part for which in batches if (part := self._parse(kind, which, sink)) is not None]
        return pl.concat(parts, how="diagonal_relaxed") if parts else None

    def _stage_parsed(self, kind: str, good: pl.DataFrame) -> None:
        """Each file's parsed rows of the kind, written to the cache's staging folder at once (its table numbers
        made the file's own), so they are not held in memory till the end."""
        files = [f for f in good["source_file"].unique().to_list() if f not in self._uncacheable]
        if not files:
            return
        keys = {f: self.cache.key(f, self.accounts[f].sha256) for f in files}
        first = {f: self._first[f] for f in files}
        rows = (good.filter(pl.col("source_file").is_in(files))
                .with_columns(pl.col("_t") - pl.col("source_file").replace_strict(first, return_dtype=pl.Int32),
                              pl.col(pl.Categorical).cast(pl.String),
                              _entry=pl.col("source_file").replace_strict(keys, return_dtype=pl.String)))
        self.cache.stage(kind, rows)

    def registry_key(self) -> str:
        """The hamlet registry of this run (the files holding one, by content): what coverage rows depend on."""
        digests = sorted(a.sha256 for a in self.accounts.values() if "hamlet_registry" in a.kinds)
        return hashlib.sha256("|".join(digests).encode()).hexdigest()[:16]

    def check_cache(self) -> None:
        """Cached coverage rows parsed with another registry than this run's cannot be used (`Stale`)."""
        if self._registry_keys - {self.registry_key()}:
            raise Stale()

    def save_cache(self) -> None:
        """Stage an entry for each file read this time (its accounting before what spans files, its tables, its
        own quarantined rows, its matches); its parsed rows were staged as they were parsed."""
        fresh = [a for a in self.accounts.values() if a.path not in self._restored and a.path not in self._uncacheable]
        if not fresh:
            return
        own = (pl.concat(self.quarantine, how="diagonal_relaxed").cast(QUARANTINE_SCHEMA) if self.quarantine
               else pl.DataFrame(schema=QUARANTINE_SCHEMA))
        by_file = {str(f): part for (f,), part in own.group_by("source_file")}
        tables: dict[str, list[Table]] = {}
        for t in self.ctx.tables:
            tables.setdefault(t.file, []).append(t)
        fuzzy: dict[str, list] = {}
        for (f, text, code, how), n in self.ctx.fuzzy.items():
            fuzzy.setdefault(f, []).append([text, code, how, n])
        registry = self.registry_key()
        for acc in fresh:
            mine = by_file.get(acc.path)
            parsed = sorted(self.cache.parsed.get(self.cache.key(acc.path, acc.sha256), ()))
            frames = {"quarantine": mine} if mine is not None else {}
            meta = {
                "account": {"sheets": acc.sheets, "rows_read": acc.rows_read,
                            "quarantined": mine.height if mine is not None else 0, "elsewhere": acc.elsewhere,
                            "encoding": acc.encoding,
                            "error": acc.error, "kinds": sorted(acc.kinds), "non_data": dict(acc.non_data),
                            "notes": acc.notes},
                "tables": [{"sheet": t.sheet, "kind": t.kind.name, "columns": t.columns, "headers": t.headers,
                            "titles": t.titles, "given": t.given, "months": t.months, "measure": t.measure,
                            "figures_per_row": t.figures_per_row, "rows": t.rows}
                           for t in tables.get(acc.path, [])],
                "quarantined_rows": mine.height if mine is not None else 0,
                "parsed": parsed, "fuzzy": fuzzy.get(acc.path, []),
                "registry": registry if "hamlet_coverage" in acc.kinds else None,
            }
            self.cache.put(acc.path, acc.sha256, meta, frames)

    def _parse_batch(self, kind: str, which: set[int]) -> tuple[pl.DataFrame | Path | None, list]:
        """A batch parsed (on the parser thread); a spilled kind's rows written to a file of their own, named by the
        batch's first table so that the files sort in the order the batches were sent."""
        sink: list = []
        part = self._parse(kind, which, sink)
        if part is not None and kind in SPILLED and self.spill is not None:
            path = self.spill / f"{kind}-{min(which):09d}.parquet"
            try:
                # With statistics: the table is written a month at a time, each month reading its row groups only.
                part.write_parquet(path, compression="lz4")
            except OSError as exc:   # a full disk: the clean stops whole, the tables in place stay as they were
                raise AnalysisError(f"cannot keep the parsed {kind.replace('_', ' ')} while the files are read "
                                    f"({exc.strerror or exc}); nothing was written", file=str(path.parent)) from None
            part = path
        return part, sink

    def _collect(self, kind: str, part: pl.DataFrame | Path | None, sink: list, into: list) -> None:
        into.extend(sink)
        if isinstance(part, Path):
            self._spilled.setdefault(kind, []).append(part)
        elif part is not None:
            self._parsed.setdefault(kind, []).append(part)

    def _streamed(self, kind: str) -> pl.DataFrame | pl.LazyFrame | None:
        """A streamed kind's parsed batches together: a frame, or a query over the files they wait in (SPILLED).
        The sums of a file whose parts fell in two batches are made again over both."""
        if kind in self._spilled:
            good = pl.concat([pl.scan_parquet(p) for p in self._spilled.pop(kind)], how="diagonal_relaxed")
        else:
            parts = self._parsed.pop(kind, [])
            good = pl.concat(parts, how="diagonal_relaxed") if parts else None
        summed, split = RECIPES[kind].summed, self.batches.split(kind)
        if good is not None and summed and split:
            across = pl.col("source_file").cast(pl.String).is_in(split)
            good = pl.concat([good.filter(~across), summed(good.filter(across))], how="diagonal_relaxed")
        return good

    def stream(self) -> None:
        self.batches.stream()

    def close(self) -> None:
        self.batches.close()

    def clean_kind(self, kind: str) -> Cleaned:
        """A kind's rows kept, as its table: a frame, or (a SPILLED kind) a query streaming from its batches' files,
        cleaned alike: later submissions replace earlier ones, a key's repeats are set aside, each file's rows kept
        are counted. What it sets aside is returned with the table, for `merge`."""
        recipe = RECIPES[kind]
        out = Cleaned(None)
        if kind in STREAMED:
            for part, sink in self.batches.results(kind):
                self._collect(kind, part, sink, out.own)
            good = self._streamed(kind)
        else:
            good = self._parse_in_batches(kind, out.own)
        if good is None:
            return out
        files = [t.file for t in self.ctx.tables]
        if recipe.monthly_report:
            when = submission_times(good, self.raw, self.ctx.title_date)
            out.submitted = {f: (f"{stamp[0]} {stamp[1]}", rule) for f, (stamp, rule) in when.items()}
            good, out.replaced = latest_only(kind, good, when)
            for r in out.replaced:
                self._count(r["file"], "superseded", r["rows"])
        if recipe.summed is None:
            good, bad = (split_repeats_on_files if isinstance(good, pl.LazyFrame) else split_repeats)(
                good, list(recipe.key))
            self._to_quarantine(kind, bad, out.across)   # across files: never cached with one
        for t, n in good.lazy().group_by("_t").agg(raw_rows(good)).collect(engine="streaming").iter_rows():
            self._count(files[t], "kept", n)
        # Grouped and sorted on categories (fast, small); `keep` writes them as text.
        out.table = recipe.finish(good, self.ctx)
        return out

    def merge(self, cleaned: dict[str, Cleaned]) -> None:
        """What each kind set aside, into the run's, in the kinds' order whichever thread cleaned which; a file
        holding two monthly kinds takes its submission time from the later kind, as cleaned one after another."""
        for kind in RECIPES:
            if kind in cleaned:
                done = cleaned[kind]
                self.quarantine.extend(done.own)
                self._global_quarantine.extend(done.across)
                self.replaced.extend(done.replaced)
                for f, (stamp, rule) in done.submitted.items():
                    self.accounts[f].submitted, self.accounts[f].submitted_rule = stamp, rule

    def not_cleaned(self, kind: str, missing: list[str]) -> None:
        """A kind whose needed tables are missing: its rows are counted as not cleaned, with the reason."""
        for t in self.ctx.tables:
            if t.kind.name == kind:
                acc = self.accounts[t.file]
                acc.not_cleaned += t.rows * t.figures_per_row
                acc.not_cleaned_reason = f"no {' or '.join(m.replace('_', ' ') for m in missing)} among the raw files"

    def manifest_notes(self) -> None:
        for f, notes in self.ctx.file_notes.items():
            self.accounts[f].notes.update(notes)


def _fuzzy(counts) -> list[dict]:
    """Approximate matches over every file: text, code, how and rows."""
    total: dict[tuple, int] = {}
    for (_file, text, code, how), n in counts.items():
        total[(text, code, how)] = total.get((text, code, how), 0) + n
    return [{"text": k[0], "code": k[1], "how": k[2], "rows": n} for k, n in sorted(total.items())]


def _publish(staging: Path, written: list[str], manifest: dict, processed: Path) -> None:
    """Move the tables written to the staging folder into place, then the manifest: a failure before this leaves
    the old set whole. Tables of this stage that this run did not produce (a kind no longer in the raw folder)
    are removed."""
    for name in OWNED:
        if name not in written and (processed / f"{name}.parquet").exists():
            (processed / f"{name}.parquet").unlink()
    faults.point("clean.staged")
    for i, name in enumerate(written):
        (staging / f"{name}.parquet").replace(processed / f"{name}.parquet")
        if i == len(written) // 2:
            faults.point("clean.publishing")   # half the tables are the new ones, the manifest the old one
    # The scope alone, for the stages and pages that need only it: unlike the manifest it changes only when the
    # provinces do, so a raw file edited does not make the indicators look changed.
    io.write_json({"provinces": manifest["provinces"], "primary": manifest["primary"],
                   "partition": manifest["partition"]}, processed / geography.FILE)
    faults.point("clean.before_manifest")
    io.write_json(manifest, processed / "manifest.json")


def run(raw: Path, processed: Path, *, today: date | None = None, bts_radius_m: float = BTS_RADIUS_M,
        provinces: str | list[str] | None = None, use_cache: bool = True,
        partition: str | list[str] | None = None) -> dict:
    """Clean every file under `raw` into `processed`; return the manifest (also written as manifest.json).
    `provinces` is the geography names are resolved against (`provinces_in`): by default the department's
    province and the one that joined it in 2025, or two-digit codes (the first is the primary), or 'all'.
    `partition`: provinces of 1 July 2025 whose rows alone are kept, from files covering many (clean/partition.py);
    names are then resolved against every province, as a whole national run resolves them.
    `use_cache`: take unchanged files' cleaning from the last run's (`clean/cache.py`) and keep this run's."""
    if not raw.is_dir():
        raise AnalysisError("raw folder not found", file=str(raw))
    if bts_radius_m <= 0:
        raise AnalysisError(f"the BTS clustering radius must be positive, got {bts_radius_m}")
    started = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    part = partition_of(partition)
    if part is not None:
        provinces = "all"
    scope = provinces_in(provinces)
    primary = None if provinces == "all" else scope[0]
    today = today or date.today()
    files = sorted(p for p in raw.rglob("*") if p.is_file() and p.name != "README.md" and not p.name.startswith((".", "~$")))
    if not files:
        raise AnalysisError("no raw files to clean (only README.md or nothing)", file=str(raw))
    processed.mkdir(parents=True, exist_ok=True)
    key = context(scope, primary, part.codes if part else None) if use_cache else None
    compact = dict.fromkeys(HELD_COMPACT, COMPACT)   # cached rows held as the parsed rows are (`Cleaner._restore`)
    try:
        return _run(raw, processed, files, today, bts_radius_m, scope, primary, started, t0,
                    FileCache(processed, key, today, compact=compact) if key else None, part)
    except Stale:   # the hamlet registry changed since cached coverage rows were parsed: every file read again
        return _run(raw, processed, files, today, bts_radius_m, scope, primary, started, t0,
                    FileCache(processed, key, today, reading=False, compact=compact), part)


def _run(raw: Path, processed: Path, files: list[Path], today: date, bts_radius_m: float, scope: list[str],
         primary: str | None, started: datetime, t0: float, cache: FileCache | None,
         partition: Partition | None = None) -> dict:
    c = Cleaner(raw, today, bts_radius_m, scope, primary, cache, partition)
    if cache is not None:
        cache.discard()   # what a run that failed half-way staged
    # Files are parsed two at a time (the work is in Rust and C, outside the GIL) and taken in name order, so the
    # result does not depend on which finished first.
    staging = Path(tempfile.mkdtemp(prefix=".clean-", dir=processed))
    c.spill = staging / "batches"
    c.spill.mkdir()
    published = False
    try:
        for chunk in bounded_map(c.load, chunks(files), READERS, _large):
            for loaded in chunk:
                c.read(loaded)
                c.stream()
        if cache is not None:
            cache.release()
        c.check_cache()
        manifest = _clean_into(c, staging, raw, processed, started, t0, bts_radius_m)
        if cache is not None:
            c.save_cache()
            cache.wait()   # before anything is published: a cache that cannot be written fails the clean whole
        _publish(staging, [o["path"].removesuffix(".parquet") for o in manifest["outputs"]], manifest, processed)
        published = True
        if cache is not None:   # the entries of this run's files, and no others
            cache.commit({cache.key(a.path, a.sha256) for a in c.accounts.values()})
    finally:
        c.close()
        shutil.rmtree(staging, ignore_errors=True)
        if cache is not None and not published:
            cache.discard()
    return manifest


def _large(chunk: list[Path]) -> bool:
    return sum(f.stat().st_size for f in chunk) >= ALONE_BYTES


def _clean_into(c: Cleaner, staging: Path, raw: Path, processed: Path, started: datetime, t0: float,
                bts_radius_m: float) -> dict:
    """Clean kind by kind, writing each table to `staging` as soon as it is done so that only one kind's rows
    are in memory at a time; return the manifest (an unbalanced account raises before anything is published)."""
    rows: dict[str, int] = {}

    def keep(name: str, frame: pl.DataFrame | pl.LazyFrame) -> None:
        order = RECIPES[name].order if name in RECIPES else None
        rows[name] = (write_by_month(frame, order, staging / f"{name}.parquet")
                      if isinstance(frame, pl.LazyFrame) and order else write_table(frame, staging / f"{name}.parquet"))

    keep("reference_areas", reference_areas(c.provinces))
    keep("area_crosswalk", area_crosswalk(c.provinces))  # old communes -> the units of 1 July 2025, with weights
    done: dict[str, pl.DataFrame] = {}   # the tables a later kind needs, kept until it is cleaned
    needed = {n for r in RECIPES.values() for n in r.needs}
    cleaned: dict[str, Cleaned] = {}

    def clean(kind: str) -> None:
        recipe = RECIPES[kind]
        missing = [n for n in recipe.needs if n not in done]
        if missing:   # e.g. coverage reports without the registry: counted as not cleaned, never quarantined
            c.not_cleaned(kind, missing)
            return
        if recipe.uses:
            recipe.uses(c.ctx, done)
        cleaned[kind] = c.clean_kind(kind)
        table, cleaned[kind].table = cleaned[kind].table, None   # not held once written (a national kind's GBs)
        if table is not None:
            keep(kind, table)
            if kind in needed:   # (never a spilled kind's query)
                done[kind] = table

    # In dependency order; in a small run (`SMALL_RUN_ROWS`) the streamed kinds, which need no other and none needs, on
    # a thread of their own. (Cleaning them last, while their last batches were still parsed, saved 2 s nationally
    # but held both at once: 8.4 GB.)
    small = c.rows_read <= SMALL_RUN_ROWS
    beside = [k for k in STREAMED if not RECIPES[k].needs and k not in needed] if small else []
    with ThreadPoolExecutor(1, thread_name_prefix="clean-beside") as pool:   # leaving it waits for the thread
        aside = pool.submit(lambda: [clean(kind) for kind in beside])
        for kind in RECIPES:
            if kind not in beside:
                clean(kind)
        aside.result()
    c.merge(cleaned)
    c.manifest_notes()
    # In file and row order: the same whichever files came from the cache.
    every = c.quarantine + c._global_quarantine
    keep("quarantine", pl.concat(every, how="diagonal_relaxed").cast(QUARANTINE_SCHEMA)
         .sort("source_file", "sheet", "row_number", "kind", "column", "reason", nulls_last=False, maintain_order=True)
         if every else pl.DataFrame(schema=QUARANTINE_SCHEMA))
    unbalanced = [a.path for a in c.accounts.values() if not a.balanced()]
    if unbalanced:
        raise AnalysisError(f"row accounting does not balance for {len(unbalanced)} file(s), e.g. {unbalanced[0]}; "
                            "nothing was written")
    return {
        "stage": "clean", "code_version": __version__,
        "parameters": {"raw": str(raw), "processed": str(processed), "today": str(c.ctx.today),
                       "bts_radius_m": bts_radius_m, "provinces": c.provinces},
        # The geography every later stage and page reads: the old provinces cleaned and the department's own.
        "provinces": c.provinces, "primary": c.primary,
        "partition": list(c.partition.codes) if c.partition else None,
        "started": started.isoformat(), "finished": datetime.now(timezone.utc).isoformat(),
        "seconds": round(time.perf_counter() - t0, 2),
        "inputs": [a.record() for a in c.accounts.values()],
        "outputs": [{"path": f"{name}.parquet", "rows": rows[name]} for name in OWNED
                    if name in rows],
        "replaced": c.replaced,
        "fuzzy_matches": _fuzzy(c.ctx.fuzzy),
        "kinds_found": sorted({k for a in c.accounts.values() for k in a.kinds}),
        "kinds_cleaned": [k for k in RECIPES if k in rows],
        # Files whose cleaning was taken from the last run's (unchanged content, same code), and files read.
        "cache": {"reused": len(c._restored), "read": len(c.accounts) - len(c._restored)},
    }
