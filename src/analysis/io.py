"""Atomic writes: a reader sees the previous complete file or the new complete one, never half of one."""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import polars as pl

from analysis import faults


def _umask() -> int:
    # Read once, at import, before any thread exists: os.umask can only be read by setting it.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# A temporary file is made 0600; the file it becomes is what an ordinary write would give (0644 under the usual
# umask), so a web server or a colleague can read the pages and tables.
MODE = 0o666 & ~_umask()


def _atomic(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        faults.point(f"write:{path.name}")   # the new content is whole in the temporary file, not yet in place
        os.chmod(tmp, MODE)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_parquet(frame: pl.DataFrame, path: Path) -> None:
    _atomic(path, lambda p: frame.write_parquet(p))


def write_json(data: object, path: Path) -> None:
    _atomic(path, lambda p: p.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str),
                                         encoding="utf-8"))


def write_text(text: str, path: Path) -> None:
    _atomic(path, lambda p: p.write_text(text, encoding="utf-8"))


def write_bytes(data: bytes, path: Path) -> None:
    _atomic(path, lambda p: p.write_bytes(data))


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
