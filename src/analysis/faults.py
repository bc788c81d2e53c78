"""Named crash points for the reliability tests: with ANALYSIS_CRASH_AT=<name> in its environment, a process kills
itself (SIGKILL, no clean-up) when it reaches that point, after saying so on stderr, so a test knows where it died
instead of guessing from a sleep. Unset, a point costs one dictionary lookup."""
from __future__ import annotations

import os
import signal
import sys

VARIABLE = "ANALYSIS_CRASH_AT"


def point(name: str) -> None:
    if os.environ.get(VARIABLE) == name:
        print(f"crash point {name}", file=sys.stderr, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
