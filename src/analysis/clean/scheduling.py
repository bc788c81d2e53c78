"""How cleaning uses two cores: files read ahead on reader threads, in order and never far ahead of the cleaning
that frees them; the streamed kinds parsed a batch at a time on a thread of their own while reading goes on. What
is done to a file or a row is the Cleaner's; when and on which thread is decided here."""
from __future__ import annotations

import threading
from collections import deque
from contextlib import contextmanager
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Callable, Iterator

import polars as pl

PARSERS = 1  # a thread parsing streamed batches (two measured no faster: the cores are already busy reading)
BACKLOG = 2  # batches waiting for the parser at most (each is a million rows of text)

Parsed = tuple[pl.DataFrame | None, list]   # a batch's parsed rows and its quarantine rows


def bounded_map(fn: Callable, items: list, workers: int, alone: Callable[[object], bool] = lambda _: False) -> Iterator:
    """`fn` over `items` on `workers` threads, in order, with at most two results per worker waiting: unlike
    Executor.map, files are not read far ahead of the cleaning that frees them, so memory stays bounded. An item
    for which `alone` is true runs with no other beside it (`Gate`) and counts as a worker's share of the results
    waiting, so that no more large files wait read than one reader would leave."""
    gate = Gate(workers)

    def run(item, share: int):
        with gate.take(share):
            return fn(item)

    with ThreadPoolExecutor(workers) as pool:
        ahead: deque = deque()
        waiting = 0
        for item in items:
            share = workers if alone(item) else 1
            ahead.append((pool.submit(run, item, share), share))
            waiting += share
            while waiting > 2 * workers:
                done, share = ahead.popleft()
                waiting -= share
                yield done.result()
        while ahead:
            yield ahead.popleft()[0].result()


class Gate:
    """`permits` shared by the reader threads, taken first come first served: a large export takes them all, so it
    is read alone once the files before it are done, and the files after it wait for it (a waiting large file is
    not overtaken by small ones, which could otherwise keep it waiting to the end)."""

    def __init__(self, permits: int) -> None:
        self.free = permits
        self.queue: deque = deque()
        self.cond = threading.Condition()

    @contextmanager
    def take(self, n: int) -> Iterator[None]:
        me = object()
        with self.cond:
            self.queue.append(me)
            self.cond.wait_for(lambda: self.queue[0] is me and self.free >= n)
            self.queue.popleft()
            self.free -= n
            self.cond.notify_all()
        try:
            yield
        finally:
            with self.cond:
                self.free += n
                self.cond.notify_all()


CHUNK_BYTES = 4 << 20   # small files are read and classified a few at a time, up to this size together
CHUNK_FILES = 16


def chunks(files: list[Path], most_bytes: int = CHUNK_BYTES, most_files: int = CHUNK_FILES) -> list[list[Path]]:
    """Files in order, in runs of consecutive ones together under `most_bytes` (a file larger than that alone):
    a month's small files of one operator share a layout, and classifying their sheets in one query instead of one
    each saves a dozen polars calls a sheet (37% of cleaning was finding tables sheet by sheet)."""
    out: list[list[Path]] = []
    size = 0
    for f in files:
        n = f.stat().st_size
        if not out or size + n > most_bytes or len(out[-1]) >= most_files:
            out.append([])
            size = 0
        out[-1].append(f)
        size += n
    return out


class Batches:
    """A streamed kind's tables, parsed a batch at a time once they hold `batch_rows()` rows: on the parser thread
    while the reader goes on (polars works outside the GIL, so reading and parsing overlap), with at most
    `BACKLOG` batches waiting, so text read faster than it is parsed cannot pile up. Results come back in the
    order the batches were sent, so the output does not depend on which finished first."""

    def __init__(self, tables: list, kinds: tuple[str, ...], parse: Callable[[str, set[int]], Parsed],
                 batch_rows: Callable[[], int]) -> None:
        self.tables, self.kinds, self._parse, self.batch_rows = tables, kinds, parse, batch_rows
        self._pool = ThreadPoolExecutor(PARSERS, thread_name_prefix="clean-parser")
        self._pending: dict[str, list[Future]] = {}
        self._upto: dict[str, int] = {}
        self._batches_of: dict[tuple[str, str], set[int]] = {}  # (kind, file) -> the batches its tables went in
        # Rows waiting per kind, counted as tables arrive (rescanning every waiting table after each file was
        # quadratic: 0.6 s of the sample's clean, where no batch fills and every table waits to the end).
        self._counted = 0
        self._waiting = {kind: 0 for kind in kinds}

    def _count(self) -> None:
        for t in self.tables[self._counted:]:
            if t.kind.name in self._waiting:
                self._waiting[t.kind.name] += t.frame.height
        self._counted = len(self.tables)

    def stream(self) -> None:
        """Send each streamed kind's waiting tables to the parser once they hold a batch."""
        self._count()
        size = self.batch_rows()   # (it may change as the run reads more: `stage.batch_rows`)
        for kind in self.kinds:
            if self._waiting[kind] >= size:
                self.send(kind)

    def send(self, kind: str) -> None:
        """The kind's tables not sent yet, as one batch to the parser thread."""
        which = self._take(kind)
        if which:
            self.wait_backlog(BACKLOG - 1)
            self._pending.setdefault(kind, []).append(self._pool.submit(self._parse, kind, which))

    def wait_backlog(self, most: int) -> None:
        """Wait until at most `most` batches wait for the parser."""
        while len(running := [f for fs in self._pending.values() for f in fs if not f.done()]) > most:
            wait(running, return_when=FIRST_COMPLETED)

    def results(self, kind: str) -> list[Parsed]:
        """Every batch of the kind in the order sent, the tables not sent yet parsed here as the last."""
        out = [batch.result() for batch in self._pending.pop(kind, [])]
        which = self._take(kind)
        if which:
            out.append(self._parse(kind, which))
        return out

    def split(self, kind: str) -> list[str]:
        """Files whose rows fell in two batches (a file read in parts): their sums are made again at the end."""
        return [f for (k, f), batches in self._batches_of.items() if k == kind and len(batches) > 1]

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)

    def _take(self, kind: str) -> set[int]:
        start = self._upto.get(kind, 0)
        which = {i for i in range(start, len(self.tables)) if self.tables[i].kind.name == kind}
        self._count()
        self._upto[kind] = len(self.tables)
        self._waiting[kind] = 0
        for i in which:
            self._batches_of.setdefault((kind, self.tables[i].file), set()).add(start)
        return which
