"""Spark as the analytics engine: one SparkSession per process, the lake's tables as its views,
wrapped in Ibis so the selection and lifetime-value code runs on it unchanged.

Only Spark's built-in Parquet reader is used: nothing is fetched at run time. The session is
created on first use (``KAM_SPARK_MASTER``: ``local[*]``, ``spark://host:7077``, ``yarn``,
``k8s://...``) and kept for the process; each use registers the lake's current version as
temporary views, so a run reads one committed version from start to end.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import ibis
import pyarrow as pa

from kam.analytics.lake import TABLE_COLUMNS, Lake, LakeVersion

SPARK_CONF: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",  # dates are calendar dates
    # Inferring constraints through the joins of ~50 derived columns is a known Catalyst
    # blow-up (minutes of planning); it only adds IsNotNull filters, results do not change.
    "spark.sql.constraintPropagation.enabled": "false",
    # The generated code of the wide projections is too big for Janino (Spark logs the
    # failure and interprets): skip the attempt.
    "spark.sql.codegen.wholeStage": "false",
    "spark.ui.showConsoleProgress": "false",
    # The lake's files are named by its manifest: read exactly those, no partition
    # columns inferred from their folders.
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
}
"""Settings kam's analytics need on any Spark (docs/scale.md)."""

SPARK_TYPES = {"VARCHAR": "string", "DATE": "date", "DOUBLE": "double", "BIGINT": "bigint"}

_session_lock = threading.Lock()


def spark_session(master: str, app_name: str = "kam") -> Any:
    """This process's SparkSession on ``master`` (created once; an active one is reused)."""
    from pyspark.sql import SparkSession

    with _session_lock:
        builder = SparkSession.builder.master(master).appName(app_name)
        for key, value in SPARK_CONF.items():
            builder = builder.config(key, value)
        session = builder.getOrCreate()
        for key, value in SPARK_CONF.items():
            if not key.startswith("spark.ui"):
                session.conf.set(key, value)
        session.sparkContext.setLogLevel("ERROR")
        return session


def register_lake(session: Any, lake: Lake, version: LakeVersion | None = None) -> LakeVersion:
    """Make each lake table of ``version`` (default: the current one) a temporary view."""
    version = version or lake.current()
    for table, columns in TABLE_COLUMNS.items():
        schema = ", ".join(f"`{name}` {SPARK_TYPES[type_]}" for name, type_ in columns)
        files = lake.paths(table, version)
        if files:
            frame = (
                session.read.option("recursiveFileLookup", "true").schema(schema).parquet(*files)
            )
            frame = frame.select(*(name for name, _type in columns))
        else:
            frame = session.createDataFrame([], schema)
        frame.createOrReplaceTempView(table)
    return version


@contextmanager
def lake_backend(lake: Lake, master: str, customers: pa.Table | None = None) -> Iterator[Any]:
    """An Ibis backend on Spark whose tables are the lake's current version; ``customers``,
    when given (the store's customer master, always current), replaces the lake's copy."""
    session = spark_session(master)
    register_lake(session, lake)
    backend = ibis.pyspark.connect(session)
    if customers is not None:
        arrow_view(backend, "customers", customers)
    yield backend


def materialised(backend: Any, name: str, table: Any) -> Any:
    """``table`` (an Ibis expression on ``backend``) computed once and read back as view
    ``name``: later steps build on the rows, not on the plan that made them (Catalyst would
    plan that again inside every larger plan)."""
    rows = table.to_pyarrow()
    return arrow_view(backend, name, rows)


def arrow_view(backend: Any, name: str, rows: pa.Table) -> Any:
    """Arrow ``rows`` as the temporary view ``name`` of ``backend``'s Spark, as an Ibis table."""
    session = backend._session
    session.createDataFrame(rows).createOrReplaceTempView(name) if rows.num_rows else (
        session.createDataFrame([], _spark_schema(rows.schema)).createOrReplaceTempView(name)
    )
    return backend.table(name)


def _spark_schema(schema: pa.Schema) -> str:
    kinds = {
        pa.string(): "string",
        pa.large_string(): "string",
        pa.float64(): "double",
        pa.int64(): "bigint",
        pa.int32(): "int",
        pa.date32(): "date",
        pa.bool_(): "boolean",
    }
    return ", ".join(f"`{f.name}` {kinds.get(f.type, 'string')}" for f in schema)
