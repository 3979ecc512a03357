"""The one way kam waits for another process's write lock, on the store and on the lake."""

import fcntl
import os
import time
from pathlib import Path

from kam.analytics.store_errors import StoreBusy


def acquire_exclusive(descriptor: int, path: Path, wait_seconds: float, detail: str) -> None:
    """Take ``descriptor``'s exclusive lock, waiting at most ``wait_seconds``; past that,
    close it and raise StoreBusy naming ``path`` and ``detail``."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(descriptor)
                raise StoreBusy(path, wait_seconds, detail) from None
            time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
