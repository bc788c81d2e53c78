"""Reading a large export alone (issue 21): a file for which `alone` holds never shares the readers with another,
the results keep the files' order, and a large file waiting is not overtaken by the small ones after it."""
from __future__ import annotations

import threading
import time

from analysis.clean.scheduling import bounded_map


def test_a_large_file_is_read_alone_in_order() -> None:
    items = ["s1", "s2", "L1", "s3", "s4", "s5", "L2", "L3", "s6"]
    lock = threading.Lock()
    running: list[str] = []
    beside: dict[str, set[str]] = {i: set() for i in items}
    started: list[str] = []

    def read(item: str) -> str:
        with lock:
            started.append(item)
            for other in running:
                beside[item].add(other)
                beside[other].add(item)
            running.append(item)
        time.sleep(0.03 if item.startswith("L") else 0.01)
        with lock:
            running.remove(item)
        return item.upper()

    got = list(bounded_map(read, items, 2, alone=lambda i: i.startswith("L")))
    assert got == [i.upper() for i in items]
    for large in ("L1", "L2", "L3"):
        assert beside[large] == set(), f"{large} was read beside {beside[large]}"
    # the small files do overlap (two readers), so the gate did not make every read alone
    assert any(beside[s] for s in ("s1", "s2", "s3", "s4", "s5"))
    # first come, first served: nothing after a large file starts before it
    assert started.index("L1") < started.index("s3") and started.index("L2") < started.index("s6")


def test_without_large_files_two_read_at_once() -> None:
    lock = threading.Lock()
    now, most = 0, 0

    def read(item: int) -> int:
        nonlocal now, most
        with lock:
            now += 1
            most = max(most, now)
        time.sleep(0.01)
        with lock:
            now -= 1
        return item

    assert list(bounded_map(read, list(range(12)), 2)) == list(range(12))
    assert most == 2


def _read_ahead(alone: bool) -> int:
    """The most files read (or being read) and not yet taken by a slow consumer, eight files in all."""
    lock = threading.Lock()
    started, taken, most = 0, 0, 0

    def read(item: int) -> int:
        nonlocal started, most
        with lock:
            started += 1
            most = max(most, started - taken)
        return item

    for _ in bounded_map(read, list(range(8)), 2, alone=lambda _: alone):
        time.sleep(0.02)   # the cleaning of a file, slower than its reading
        with lock:
            taken += 1
    return most


def test_large_files_wait_read_no_deeper_than_one_reader_would_leave() -> None:
    # small files: two readers, two results each waiting, and the one being cleaned
    assert _read_ahead(alone=False) == 5
    # large ones: the one being cleaned, one read and waiting, one being read
    assert _read_ahead(alone=True) == 3
