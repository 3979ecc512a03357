"""Progress of a running import: stage labels, an overall fraction, DuckDB's own progress."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from kam.analytics.progress import Progress

# Where each stage starts and ends in the overall fraction reported to ``progress``.
STAGES = {
    "loading": (0.0, 0.6),  # a clean file of lines, read and checked in one pass
    "reading": (0.0, 0.45),
    "checking": (0.45, 0.6),
    "summarising": (0.6, 0.7),  # the rollups of the lines, computed before they are written
    "writing": (0.7, 1.0),
}


def never_backwards(progress: Progress | None) -> Progress | None:
    """``progress`` with its fraction held at the highest yet (a refused fast path restarts)."""
    if progress is None:
        return None
    lock = threading.Lock()
    best = [0.0]

    def report(stage: str, fraction: float) -> None:
        with lock:
            best[0] = max(best[0], fraction)
            progress(stage, best[0])

    return report


def tell(progress: Progress | None, stage: str, fraction: float) -> None:
    """Report ``fraction`` (clamped to 0..1) of the import done, now in ``stage``."""
    if progress is not None:
        progress(stage, min(max(fraction, 0.0), 1.0))


@contextmanager
def watching(
    con: duckdb.DuckDBPyConnection, progress: Progress | None, stage: str
) -> Iterator[None]:
    """Report DuckDB's own progress on the running statement while the block runs."""
    if progress is None:
        yield
        return
    start, end = STAGES[stage]
    stop = threading.Event()

    def poll() -> None:
        best = start  # a stage of several statements restarts DuckDB's percentage
        while not stop.wait(0.25):
            percent = con.query_progress()
            if percent >= 0:
                best = max(best, start + (end - start) * percent / 100)
                tell(progress, stage, best)

    watcher = threading.Thread(target=poll, name=f"kam-import-{stage}", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        watcher.join()
    tell(progress, stage, end)
