"""`kam export DIR` and `kam restore DIR`: the whole install out to a directory of open
files with a manifest of checksums, and back (the format: docs/backup.md)."""

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from kam.cli.common import (
    AsUser,
    Json,
    acting_user,
    console,
    fail,
    print_json,
    progress,
    refusals,
    setup_django,
)

Directory = Annotated[
    Path, typer.Argument(help="The export directory.", file_okay=False, resolve_path=True)
]


def _figures(manifest: Any) -> dict[str, Any]:
    by_kind: dict[str, dict[str, int]] = {}
    for entry in manifest.files:
        kind = by_kind.setdefault(entry.kind, {"files": 0, "rows": 0, "bytes": 0})
        kind["files"] += 1
        kind["rows"] += entry.rows
        kind["bytes"] += entry.bytes
    return {
        "kam_version": manifest.kam_version,
        "created_at": manifest.created_at,
        "created_by": manifest.created_by,
        "files": len(manifest.files),
        "rows": manifest.rows,
        "bytes": manifest.bytes,
        "by_kind": by_kind,
    }


def _print(title: str, figures: dict[str, Any]) -> None:
    table = Table(title=title, show_header=True)
    for column in ("what", "files", "rows", "bytes"):
        table.add_column(column, justify="left" if column == "what" else "right")
    for kind, counts in figures["by_kind"].items():
        table.add_row(kind, *(f"{counts[key]:,}" for key in ("files", "rows", "bytes")))
    table.add_row("all", *(f"{figures[key]:,}" for key in ("files", "rows", "bytes")))
    console.print(table)


def export(directory: Directory, as_user: AsUser = None, as_json: Json = False) -> None:
    """Write everything kam holds — users and roles, accounts, plans, policies, ratings,
    cycles, score snapshots, the analytical store and, with the spark engine, the lake's
    invoice lines — to DIR (new or empty), with a manifest
    of checksums. Needs the Administrator role."""
    setup_django()
    from kam.backup import ExportRefused, do_export_install, manifest_sha256

    user = acting_user(as_user)
    with refusals(ExportRefused), progress("Export") as update:
        manifest = do_export_install(user, directory, progress=update)
    figures = {
        "directory": str(directory),
        "manifest_sha256": manifest_sha256(directory),
        **_figures(manifest),
    }
    if as_json:
        print_json(figures)
        return
    _print(f"Exported to {directory}", figures)
    console.print(
        f"manifest.json SHA-256 {figures['manifest_sha256']} — keep it apart from the "
        "export to prove later that the manifest itself is unchanged."
    )


def restore(
    directory: Directory,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Replace the data this install holds (all of it) with the export."
        ),
    ] = False,
    as_user: AsUser = None,
    as_json: Json = False,
) -> None:
    """Restore the export in DIR: every file's checksum is checked first, then the store and
    the operational data are replaced in one step (with KAM_ANALYTICS_ENGINE=spark, the
    invoice lines go into the lake). Refused on an install that holds data
    unless --force; on an install with users, needs the Administrator role."""
    setup_django()
    from kam.backup import BackupInvalid, InstallNotEmpty, do_restore_install
    from kam.people.models import User

    if not (directory / "manifest.json").exists() and not directory.is_dir():
        fail(f"[red]Not restored:[/] {directory} is not a directory.", 2)
    user = acting_user(as_user) if (as_user or User.objects.exists()) else None
    try:
        with refusals(BackupInvalid), progress("Restore") as update:
            restored = do_restore_install(user, directory, force=force, progress=update)
    except InstallNotEmpty as refused:
        fail(f"[red]Not restored:[/] {refused}. Use --force to replace it.", 1)
    figures = {
        "directory": str(directory),
        "replaced": restored.replaced,
        "lake": restored.lake,
        "lake_version": restored.lake_version,
    }
    figures.update(_figures(restored.manifest))
    if as_json:
        print_json(figures)
        return
    _print(f"Restored from {directory}", figures)
    if restored.lake is not None:
        console.print(
            f"The invoice lines and their rollups are in the lake {restored.lake} "
            f"(version {restored.lake_version}), verified by rows and checksums."
        )
