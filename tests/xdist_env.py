"""A pytest plugin (``-p xdist_env`` in pyproject.toml): the environment of each pytest-xdist
process of a run (``make test`` runs two). Without xdist nothing changes.

- Each process keeps its files in a data directory of its own, ``KAM_DATA_DIR/gw0``,
  ``KAM_DATA_DIR/gw1``, … The settings read KAM_DATA_DIR once, when pytest-django imports
  them in its ``pytest_load_initial_conftests``, before any conftest.py is read; this
  plugin is loaded earlier and its hook runs first. The directory is set in the
  environment, so a ``kam`` command a test starts uses it too.
- The processes start from the environment the run was started in. pytest's capture
  imports readline, which sets COLUMNS and LINES (80 × 24 off a terminal) in the C
  environment, not in ``os.environ``: the processes xdist starts inherited them, and
  the command-line output laid out at 80 columns (kam.cli.common.KamConsole) where a
  single process lays it out at its full width."""

import os
from pathlib import Path

import pytest

TERMINAL_SIZE = ("COLUMNS", "LINES")


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests() -> None:
    process = os.environ.get("PYTEST_XDIST_WORKER")  # gw0, gw1, …: set by xdist
    if not process:
        return
    # The settings' own default when KAM_DATA_DIR is not set (kam/settings.py).
    shared = os.environ.get("KAM_DATA_DIR") or Path.home() / ".local" / "share" / "kam"
    os.environ["KAM_DATA_DIR"] = str(Path(shared) / process)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_setupnodes() -> None:
    """Before xdist starts its processes: the C environment's terminal size back to what
    ``os.environ`` (the environment the run was started in) says."""
    for name in TERMINAL_SIZE:
        if name in os.environ:
            os.putenv(name, os.environ[name])
        else:
            os.unsetenv(name)
