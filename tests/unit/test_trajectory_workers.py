"""The trajectory stage's worker processes (trajectory/workers.py): each run of areas is finished in the process
that prepared it, results come back in the runs' order, and a worker that fails or dies stops the stage with a
message instead of a hang. (That two processes give the engine's tables exactly: test_trajectories_sample.py.)"""
from __future__ import annotations

import os

import pytest

from analysis.errors import AnalysisError
from analysis.trajectory.workers import Workers


# Module-level, so a spawned worker can import them by name.
def prepare(target, rows):
    if rows == ["boom"]:
        raise ValueError(f"row 3 of {target} cannot be read")
    if rows == ["die"]:
        os._exit(3)
    return {"rows": rows, "pid": os.getpid()}, sum(rows)


def finish(target, items, as_of, tables):
    return [x + tables["add"] for x in items["rows"]], items["pid"], os.getpid()


def test_each_run_is_finished_where_it_was_prepared_and_comes_back_in_order():
    workers = Workers(2, prepare, finish)
    try:
        assert workers.parts == 3
        assert workers.prepare("t", [[1, 2], [3], [4, 5]]) == [3, 3, 9]
        out = workers.finish("t", None, {"add": 10}, 3)
        assert [rows for rows, _, _ in out] == [[11, 12], [13], [14, 15]]
        assert all(prepared_in == finished_in for _, prepared_in, finished_in in out)
        assert out[0][2] == os.getpid()                       # the first run: the main process
        assert len({pid for _, _, pid in out}) == 3           # the others: one worker each
        # A second target, and fewer runs than processes (a target with few areas).
        assert workers.prepare("u", [[7], [8]]) == [7, 8]
        assert [rows for rows, _, _ in workers.finish("u", None, {"add": 1}, 2)] == [[8], [9]]
    finally:
        workers.close()


def test_a_worker_that_fails_stops_the_stage_with_its_message():
    workers = Workers(1, prepare, finish)
    try:
        with pytest.raises(AnalysisError, match=r"ValueError: row 3 of mbb cannot be read"):
            workers.prepare("mbb", [[1], ["boom"]])
    finally:
        workers.close()


def test_a_worker_that_dies_stops_the_stage_instead_of_waiting_for_it():
    workers = Workers(1, prepare, finish)
    try:
        with pytest.raises(AnalysisError, match="ended before it sent its result"):
            workers.prepare("mbb", [[1], ["die"]])
    finally:
        workers.close()
