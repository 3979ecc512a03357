"""`kam engine check` and `kam lake export`: the analytics engine as a setting
(KAM_ANALYTICS_ENGINE, KAM_SPARK_MASTER, KAM_LAKE_URL; docs/scale.md)."""

import typer
from rich.table import Table

from kam.cli.common import (
    AsUser,
    Json,
    acting_user,
    console,
    number,
    print_json,
    progress,
    refusals,
    setup_django,
)

engine_app = typer.Typer(help="The analytics engine: DuckDB embedded, or Spark over the lake.")
lake_app = typer.Typer(help="The lake: invoice lines and rollups as Parquet, for Spark.")


@engine_app.command("check")
def check(as_user: AsUser = None, as_json: Json = False) -> None:
    """Say which engine is configured, connect to it, print its table sizes and the time of
    one aggregate over the invoice lines. Needs the permission to import data."""
    setup_django()
    from kam.engine import check_engine

    user = acting_user(as_user)
    with refusals():
        found = check_engine(user)
    if as_json:
        print_json(found)
        return
    where = f", master {found.master}, lake {found.lake}" if found.master else ""
    console.print(
        f"Engine [bold]{found.engine}[/] ({found.engine_version}{where}): connected in "
        f"{found.connect_seconds:.2f} s"
    )
    columns = [key for key in ("rows", "files", "bytes", "partitions") if key in found.tables[0]]
    table = Table(show_header=True)
    table.add_column("table")
    for column in columns:
        table.add_column(column, justify="right")
    for row in found.tables:
        table.add_row(row["table"], *(number(row[column]) for column in columns))
    console.print(table)
    console.print(
        f"{found.aggregate}: {found.aggregate_groups:,} customers in "
        f"{found.aggregate_seconds:.2f} s"
    )


@lake_app.command("export")
def export(as_user: AsUser = None, as_json: Json = False) -> None:
    """Copy the embedded store's customers, invoice lines and rollups into the lake
    (KAM_LAKE_URL, holding no lines yet), verified table by table by row counts and
    checksums before one commit. Needs the Administrator role."""
    setup_django()
    from kam.analytics.lake_export import LakeExportMismatch
    from kam.engine import LakeExportRefused, do_export_lake

    user = acting_user(as_user)
    with refusals(LakeExportRefused, LakeExportMismatch), progress("Lake export") as update:
        done = do_export_lake(user, update)
    figures = {
        "lake": done.lake,
        "version": done.version,
        "tables": [check.as_dict() for check in done.tables],
    }
    if as_json:
        print_json(figures)
        return
    table = Table(title=f"Exported to the lake {done.lake} (version {done.version})")
    for column in ("table", "store rows", "lake rows", "store checksum", "lake checksum",
                   "files", "verified"):  # fmt: skip
        table.add_column(
            column, justify="left" if "checksum" in column or column == "table" else "right"
        )
    for check in done.tables:
        table.add_row(
            check.table,
            f"{check.store_rows:,}",
            f"{check.lake_rows:,}",
            check.store_checksum,
            check.lake_checksum,
            f"{check.files:,}",
            "yes" if check.matches else "NO",
        )
    console.print(table)
    from kam.stores import on_spark

    if not on_spark():
        console.print(
            "Set KAM_ANALYTICS_ENGINE=spark to run imports and the analytics on the lake."
        )
