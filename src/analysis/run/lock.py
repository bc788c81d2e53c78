"""One run at a time per output folder: a second run says who holds the lock and exits."""
from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from analysis.errors import AnalysisError


@contextmanager
def exclusive(folder: Path):
    """An advisory lock on <folder>/.run.lock; the kernel releases it if the process dies, so it never goes stale."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ".run.lock"
    f = path.open("a+")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.seek(0)
        holder = f.read().strip() or "another process"
        f.close()
        raise AnalysisError(f"another run is writing these outputs ({holder}); this one stops without writing",
                            file=str(folder)) from None
    try:
        f.seek(0)
        f.truncate()
        f.write(f"pid {os.getpid()} since {datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S} UTC")
        f.flush()
        yield
    finally:
        f.seek(0)
        f.truncate()
        fcntl.flock(f, fcntl.LOCK_UN)
        f.close()
