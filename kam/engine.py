"""The analytics engine as a setting: checking it before a cycle (``kam engine check``) and
moving an embedded install's lines to the lake (``kam lake export``). docs/scale.md."""

import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied

from kam.analytics.lake import MONTHLY, LakeError
from kam.analytics.lake_export import LakeExport, export_to_lake
from kam.analytics.progress import Progress
from kam.audit import trail
from kam.audit.choices import Action
from kam.people.models import User
from kam.people.roles import Permission
from kam.people.services import check_permission, has_permission
from kam.stores import analytics_engine, analytics_lake, embedded_store, on_spark

STORE_TABLES = ("customers", "transactions", "customer_month", "customer_day")


class LakeExportRefused(Exception):
    """The lake cannot take the export (it holds data already, or a bad KAM_LAKE_URL)."""


@dataclass(frozen=True)
class EngineCheck:
    """What ``kam engine check`` found: the engine, where it reads, table sizes, one timing."""

    engine: str
    master: str | None
    lake: str | None
    engine_version: str
    connect_seconds: float
    tables: tuple[dict[str, Any], ...]
    aggregate: str
    aggregate_groups: int
    aggregate_seconds: float


AGGREGATE = "revenue per customer over every invoice line (transactions grouped by customer_id)"


def check_engine(user: User) -> EngineCheck:
    """Connect to the configured engine, read its table sizes and time one aggregate over the
    invoice lines. Needs the permission to import data (who prepares a cycle's data)."""
    check_permission(user, Permission.IMPORT_DATA)
    started = time.perf_counter()
    with analytics_engine() as calc:
        connected = time.perf_counter() - started
        if on_spark():
            version = f"Spark {calc._session.version}"
            tables = tuple(
                {"table": s.name, "rows": s.rows, "files": s.files, "bytes": s.bytes,
                 "partitions": s.partitions}
                for s in analytics_lake().sizes()
            )  # fmt: skip
        else:
            import duckdb

            version = f"DuckDB {duckdb.__version__}"
            tables = tuple(
                {"table": name, "rows": int(calc.table(name).count().to_pyarrow().as_py())}
                for name in STORE_TABLES
            )
        lines = calc.table("transactions")
        timed = time.perf_counter()
        grouped = lines.group_by("customer_id").aggregate(revenue=lines.revenue.sum())
        groups = grouped.to_pyarrow().num_rows
        seconds = time.perf_counter() - timed
    trail.record(
        Action.CHECKED,
        object_type="engine",
        object_id=settings.ANALYTICS_ENGINE,
        object_repr=f"analytics engine {settings.ANALYTICS_ENGINE}",
        detail={"engine": settings.ANALYTICS_ENGINE, "aggregate_seconds": seconds},
        by=user,
        summary=True,
    )
    return EngineCheck(
        engine=settings.ANALYTICS_ENGINE,
        master=settings.SPARK_MASTER if on_spark() else None,
        lake=str(analytics_lake().root) if on_spark() else None,
        engine_version=version,
        connect_seconds=connected,
        tables=tables,
        aggregate=AGGREGATE,
        aggregate_groups=groups,
        aggregate_seconds=seconds,
    )


def do_export_lake(user: User, progress: Progress | None = None) -> LakeExport:
    """Copy the embedded store's customers, lines and rollups into the lake (KAM_LAKE_URL),
    then verify each table by row count and checksum; one commit, so a failed export leaves
    the lake as it was. Refused on a lake that holds lines or rollups (one holding only the
    customer master, imported since the switch, gets the store's). Needs the Administrator
    role.

    The store keeps its tables: with KAM_ANALYTICS_ENGINE=spark the lines are then read
    from the lake, and the rollups the pages read are kept in the store by every import.
    """
    if not has_permission(user, Permission.MANAGE_USERS):
        name = getattr(user, "username", "") or "an anonymous user"
        raise PermissionDenied(
            f"{name} may not export to the lake: it needs the Administrator role"
        )
    try:
        lake = analytics_lake()
        held = lake.current()
        if any(held.files(table) for table in MONTHLY):  # the master alone is replaced
            raise LakeExportRefused(
                f"the lake {lake.root} holds data already (invoice lines or their rollups); "
                "export into a KAM_LAKE_URL without them"
            )
        export = export_to_lake(embedded_store(), lake, progress)
    except LakeError as error:
        raise LakeExportRefused(str(error)) from error
    trail.record(
        Action.EXPORTED,
        object_type="lake",
        object_id=str(export.version),  # the lake's path can be longer than an id's column
        object_repr=f"store to the lake {lake.root}"[:255],
        detail={
            "lake": str(lake.root),
            "version": export.version,
            "tables": [t.as_dict() for t in export.tables],
        },
        by=user,
        summary=True,
    )
    return export
