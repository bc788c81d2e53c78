"""Judging a target's areas on every core: the main process takes the first run of areas, a spawned process each
of the others, and each keeps its areas' prepared series between the two passes, so that only what the passes
exchange crosses a process boundary (the errors for the pools, the quantiles, the finished rows).

Measured nationally (2 December 2026, py-spy, 127,253 indicator-areas): with a process pool the prepared series
went to the parent and back; pickling and unpickling them took about 26 s of the processes' time against 40 s of
the passes' own work, and the passes 44 s of wall time on two workers.
"""
from __future__ import annotations

import multiprocessing
import traceback
from multiprocessing.connection import Connection
from typing import Callable

from analysis.errors import AnalysisError

ENDED = "a trajectory worker process ended before it sent its result (out of memory, or killed)"


def _serve(conn: Connection, prepare: Callable, finish: Callable) -> None:
    """A worker's loop: ("prepare", target, rows) keeps the prepared areas and sends back what the pools need;
    ("finish", target, as_of, tables) sends back the finished rows; None ends it."""
    held = None
    while (message := conn.recv()) is not None:
        what, *args = message
        try:
            if what == "prepare":
                target, rows = args
                held, made = prepare(target, rows)
                conn.send(("ok", made))
            else:
                target, as_of, tables = args
                items, held = held, None
                conn.send(("ok", finish(target, items, as_of, tables)))
        except Exception as exc:   # sent back whole: the parent raises it with the worker's traceback
            conn.send(("error", f"{type(exc).__name__}: {exc}", traceback.format_exc()))


class Workers:
    """`n` processes beside the main one (spawned, not forked: a forked child of a process running polars'
    threads can hang). `prepare` and `finish` are the engine's two passes over one run of areas."""

    def __init__(self, n: int, prepare: Callable, finish: Callable) -> None:
        self._prepare, self._finish = prepare, finish
        self._held = None
        ctx = multiprocessing.get_context("spawn")
        self._conns: list[Connection] = []
        self._procs = []
        for _ in range(n):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_serve, args=(child, prepare, finish), daemon=True,
                               name="trajectory-worker")
            proc.start()
            child.close()
            self._conns.append(parent)
            self._procs.append(proc)

    @property
    def parts(self) -> int:
        """Runs of areas judged at once: the main process's and one per worker."""
        return len(self._conns) + 1

    def prepare(self, target, chunks: list) -> list:
        """Pass 1 over each run of areas (the first here, the others in the workers, at the same time); what the
        pools need of each, in the runs' order."""
        for conn, rows in zip(self._conns, chunks[1:]):
            self._send(conn, ("prepare", target, rows))
        self._held, made = self._prepare(target, chunks[0])
        return [made, *(self._receive(conn) for conn in self._conns[:len(chunks) - 1])]

    def finish(self, target, as_of, tables: dict, parts: int) -> list:
        """Pass 2 over the runs `prepare` was given (`parts` of them), each where it was prepared."""
        for conn in self._conns[:parts - 1]:
            self._send(conn, ("finish", target, as_of, tables))
        items, self._held = self._held, None
        here = self._finish(target, items, as_of, tables)
        return [here, *(self._receive(conn) for conn in self._conns[:parts - 1])]

    @staticmethod
    def _send(conn: Connection, message: tuple) -> None:
        try:
            conn.send(message)
        except OSError:   # (a broken pipe: the process is gone)
            raise AnalysisError(ENDED) from None

    def _receive(self, conn: Connection):
        try:
            status, *payload = conn.recv()
        except (EOFError, OSError):
            raise AnalysisError(ENDED) from None
        if status == "error":
            message, trace = payload
            raise AnalysisError(f"a trajectory worker failed: {message}\n{trace}")
        return payload[0]

    def close(self) -> None:
        for conn in self._conns:
            try:
                conn.send(None)
            except (BrokenPipeError, OSError):
                pass
        for proc in self._procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
        for conn in self._conns:
            conn.close()
