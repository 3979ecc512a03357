"""Fixtures of the selection tests: the hand-built portfolio, and one local Spark per session."""

from collections.abc import Iterator
from pathlib import Path

import ibis
import pytest
from ibis.backends.duckdb import Backend as DuckDBBackend
from selection_data import seed

from kam.analytics.store import AnalyticsStore

SPARK_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
    # A handful of rows: every extra partition is a task to schedule, nothing to gain.
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.sql.adaptive.coalescePartitions.enabled": "false",
    "spark.driver.memory": "1g",
    # Inferring constraints through joins of ~50 derived columns took Catalyst minutes
    # (a known blow-up); it only adds IsNotNull filters, so results do not change.
    "spark.sql.constraintPropagation.enabled": "false",
    # The generated code of the wide projections is too big for Janino anyway (Spark logs
    # the failure and interprets); skip the attempt.
    "spark.sql.codegen.wholeStage": "false",
}
"""A local Spark tuned for tiny data: the equality test proves compilation, not speed."""


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBBackend]:
    """The hand-built portfolio, shared by a module's tests: they read it, never change it."""
    store = AnalyticsStore(f"duckdb://{tmp_path_factory.mktemp('portfolio') / 'store.duckdb'}")
    with store.connect() as con:
        seed(con)
        yield con


@pytest.fixture
def writable_con(store: AnalyticsStore) -> Iterator[DuckDBBackend]:
    """The hand-built portfolio in this test's own store (``store``), open for writing."""
    with store.connect() as con:
        seed(con)
        yield con


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory):
    """One local Spark (2 cores) as an Ibis backend for the whole session."""
    from pyspark.sql import SparkSession

    warehouse: Path = tmp_path_factory.mktemp("spark-warehouse")
    builder = SparkSession.builder.master("local[2]").appName("kam-tests")
    for key, value in {**SPARK_CONF, "spark.sql.warehouse.dir": str(warehouse)}.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    yield ibis.pyspark.connect(session)
    session.stop()
