"""Backup and restore of a whole install: `kam export DIR` and `kam restore DIR`.

An export is a directory of open formats (docs/backup.md): every model of every installed
kam app (and the role groups) as Django's JSON Lines serialisation, one file a model; every
table of the analytical store as Parquet, with the store's DDL; and ``manifest.json`` —
kam's version, when, the migrations applied per app, and each file's row count, size and
SHA-256. The models are found at run time, so an app added later (the audit log) is part of
every export without a change here. With the spark engine the invoice lines live in the lake
(docs/scale.md): the export's ``transactions`` is then the lake's current lines, and a
restore on a spark install writes the lines and rollups into the lake (one commit, verified
by rows and checksums) and leaves the store's own table of lines empty — so an export taken
with one engine restores with the other.

A restore checks every file against the manifest before it touches anything, builds a new
store file beside the one in use, and then replaces the operational data in one database
transaction, swapping the new store file in at its end: it all lands, or none of it does.
"""

import hashlib
import importlib.metadata
import json
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

from django.apps import apps
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.core import serializers
from django.core.exceptions import PermissionDenied
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from kam.accounts.models import Account
from kam.analytics import backup as store_backup
from kam.analytics.lake import TABLE_COLUMNS as LAKE_TABLES
from kam.analytics.lake import Lake, LakeError, LakeWrite
from kam.analytics.progress import Progress
from kam.audit import trail
from kam.audit.choices import Action
from kam.audit.context import quiet
from kam.audit.trail import unsealed
from kam.people.models import User
from kam.people.roles import Permission
from kam.people.services import has_permission
from kam.stores import analytics_lake, analytics_store, on_spark

FORMAT = "kam-export"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
OPERATIONAL_DIR = "operational"
STORE_DIR = "store"
SNAPSHOT_PREFIXES = ("score_snapshot", "clv_run")
"""Store tables that are a run's immutable snapshot rather than imported data."""
LINES = "transactions"
"""The store table of invoice lines: the lake's with the spark engine."""


class ExactJSONEncoder(DjangoJSONEncoder):
    """Django's encoder, except that times keep their microseconds: Django's cuts them to
    milliseconds (ECMA-262), so a restored row would not be the row exported."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime | time):
            text = o.isoformat()
            return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
        return super().default(o)


class ExportRefused(Exception):
    """The export directory is not empty, or a model will not serialise."""


class BackupInvalid(Exception):
    """An export that is incomplete, tampered with, or from a kam this install cannot read;
    the message names the file."""


class InstallNotEmpty(Exception):
    """A restore into an install that holds data, without ``force``."""


@dataclass(frozen=True)
class BackupFile:
    """One file of an export, as the manifest lists it."""

    path: str
    kind: str
    """``model``, ``store_table``, ``snapshot`` or ``store_schema``."""
    name: str
    rows: int
    bytes: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """What an export holds (``manifest.json``)."""

    kam_version: str
    created_at: str
    created_by: str
    database: str
    migrations: dict[str, list[str]]
    files: tuple[BackupFile, ...]
    format: str = FORMAT
    format_version: int = FORMAT_VERSION
    lines_from: str = "store"
    """Where the exporting install kept its invoice lines: ``store``, or ``lake`` (spark)."""

    @property
    def rows(self) -> int:
        """Rows in all its files."""
        return sum(f.rows for f in self.files)

    @property
    def bytes(self) -> int:
        """Bytes in all its files (the manifest aside)."""
        return sum(f.bytes for f in self.files)

    def as_json(self) -> dict[str, Any]:
        """The manifest as written to ``manifest.json``."""
        return {
            "format": self.format,
            "format_version": self.format_version,
            "kam_version": self.kam_version,
            "created_at": self.created_at,
            "created_by": self.created_by,
            "database": self.database,
            "lines_from": self.lines_from,
            "migrations": self.migrations,
            "files": [vars(f) for f in self.files],
        }


@dataclass(frozen=True)
class Restored:
    """What a restore brought back: the export's manifest, and whether data was replaced."""

    manifest: Manifest
    replaced: bool
    """True when the install held data, which the restore replaced (``force``)."""
    lake: str | None = None
    """The lake the lines went into (spark engine), else None: they went into the store."""
    lake_version: int | None = None


def backed_up_models() -> list[type[models.Model]]:
    """The models an export holds, in an order that loads (a model after those it refers to):
    the role groups and every concrete model of every installed ``kam.*`` app."""
    chosen: list[tuple[Any, list[type[models.Model]]]] = [(apps.get_app_config("auth"), [Group])]
    for config in apps.get_app_configs():
        if config.name.startswith("kam."):
            kept = [m for m in config.get_models() if m._meta.managed and not m._meta.proxy]
            chosen.append((config, kept))
    return serializers.sort_dependencies(chosen, allow_cycles=True)


def install_is_empty() -> bool:
    """True for a fresh install: no users, no accounts, no row in any store table."""
    if User.objects.exists() or Account.objects.exists():
        return False
    with analytics_store().connect(read_only=True) as con:
        return store_backup.store_row_count(con) == 0


def check_may_back_up(user: object, verb: str) -> None:
    """An export holds every password hash and a restore replaces every user: both need
    the Administrator's permission to manage users."""
    if not has_permission(user, Permission.MANAGE_USERS):
        name = getattr(user, "username", "") or "an anonymous user"
        raise PermissionDenied(f"{name} may not {verb}: it needs the Administrator role")


def do_export_install(
    user: User | None, directory: Path, progress: Progress | None = None
) -> Manifest:
    """Write everything the install holds to ``directory`` (new or empty), manifest last,
    so a directory without ``manifest.json`` is an export that did not finish."""
    check_may_back_up(user, "export kam")
    tell = progress or (lambda _label, _fraction: None)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise ExportRefused(f"{directory} is not an empty directory; export into a new one")
    (directory / OPERATIONAL_DIR).mkdir(parents=True, exist_ok=True)
    files: list[BackupFile] = []
    chosen = backed_up_models()
    lake = _lake()
    # A read-only store connection keeps imports and scoring runs out until the end, so the
    # operational rows and the store's tables are of the same moment; with the spark engine
    # the lake's writer lock keeps its imports out too.
    with (
        _lake_writing(lake),
        analytics_store().connect(read_only=True) as con,
        transaction.atomic(),
    ):
        for index, model in enumerate(chosen):
            tell(f"{model._meta.label}", 0.6 * index / len(chosen))
            files.append(_dump_model(model, directory))
        migrations = _applied_migrations()

        def step(table: str, fraction: float) -> None:
            tell(table, 0.6 + 0.4 * fraction)

        sources = {LINES: lake.select(LINES)} if lake is not None else {}
        tables = store_backup.export_store(con, directory / STORE_DIR, step, sources)
    for table in tables:
        kind = "snapshot" if table.name.startswith(SNAPSHOT_PREFIXES) else "store_table"
        files.append(
            _described(directory, f"{STORE_DIR}/{table.file}", kind, table.name, table.rows)
        )
    schema = f"{STORE_DIR}/{store_backup.SCHEMA_FILE}"
    files.append(_described(directory, schema, "store_schema", "schema", 0))
    manifest = Manifest(
        kam_version=_kam_version(),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        created_by=getattr(user, "username", ""),
        database=connection.vendor,
        migrations=migrations,
        files=tuple(files),
        lines_from="lake" if lake is not None else "store",
    )
    (directory / MANIFEST).write_text(
        json.dumps(manifest.as_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    tell("done", 1.0)
    return manifest


def manifest_sha256(directory: Path) -> str:
    """The SHA-256 of an export's manifest: kept elsewhere, it proves the manifest unchanged."""
    return _sha256(directory / MANIFEST)


def check_export(directory: Path, progress: Progress | None = None) -> Manifest:
    """The export's manifest, once every file it lists is there with its size and SHA-256,
    and every model and migration it names is known to this install; else BackupInvalid
    naming the file (or migration) at fault."""
    tell = progress or (lambda _label, _fraction: None)
    manifest = read_manifest(directory)
    for index, entry in enumerate(manifest.files):
        tell(f"checking {entry.path}", index / max(len(manifest.files), 1))
        file = directory / entry.path
        if not file.is_file():
            raise BackupInvalid(f"{entry.path} is missing: the export is incomplete")
        if file.stat().st_size != entry.bytes or _sha256(file) != entry.sha256:
            raise BackupInvalid(
                f"{entry.path} does not match its checksum in {MANIFEST}: the file was changed "
                "or damaged after the export"
            )
    known = {model._meta.label_lower for model in backed_up_models()}
    for entry in manifest.files:
        if entry.kind == "model" and entry.name not in known:
            raise BackupInvalid(
                f"{entry.path} holds {entry.name}, which this kam does not have (an export "
                "from another version of kam?)"
            )
    on_disk = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    for app_label, names in manifest.migrations.items():
        for name in names:
            if (app_label, name) not in on_disk:
                raise BackupInvalid(
                    f"{MANIFEST} names migration {app_label}.{name}, which this kam does not "
                    f"have: the export was made by a newer kam ({manifest.kam_version})"
                )
    return manifest


def read_manifest(directory: Path) -> Manifest:
    """Parse ``manifest.json`` (BackupInvalid when it is missing or malformed)."""
    path = directory / MANIFEST
    if not path.is_file():
        raise BackupInvalid(f"{path} is missing: not an export, or one that did not finish")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise BackupInvalid(f"{path} is not a kam export manifest")
        if data.get("format_version") != FORMAT_VERSION:
            raise BackupInvalid(
                f"{path}: format version {data.get('format_version')} is not one this kam reads"
            )
        return Manifest(
            kam_version=str(data["kam_version"]),
            created_at=str(data["created_at"]),
            created_by=str(data.get("created_by", "")),
            database=str(data.get("database", "")),
            lines_from=str(data.get("lines_from", "store")),
            migrations={str(k): [str(n) for n in v] for k, v in data["migrations"].items()},
            files=tuple(BackupFile(**entry) for entry in data["files"]),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise BackupInvalid(f"{path} is not a valid manifest: {error}") from error


def do_restore_install(
    user: User | None,
    directory: Path,
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> Restored:
    """Replace everything the install holds with the export in ``directory``.

    Refused (before anything changes) for a non-Administrator when the install has users,
    for an install holding data unless ``force``, and for an export that fails
    ``check_export``. The database must be migrated (``kam setup``) first.

    With the spark engine the export's customers, lines and rollups become the lake's next
    version, staged and verified before anything changes and committed as the last step
    (a failure after that commit puts the lake's previous tables back); the new store file
    then holds no lines of its own, as after an import on the lake.
    """
    tell = progress or (lambda _label, _fraction: None)
    if User.objects.exists():
        check_may_back_up(user, "restore kam")
    empty = install_is_empty()
    if not empty and not force:
        raise InstallNotEmpty(
            "this install already holds data, and a restore replaces all of it "
            "(users, accounts, plans, the analytical store)"
        )
    manifest = check_export(directory, lambda label, f: tell(label, 0.2 * f))
    lake = _lake()
    with _lake_writing(lake) as write:
        return _restore(user, directory, manifest, empty, write, tell)


def _restore(
    user: User | None,
    directory: Path,
    manifest: Manifest,
    empty: bool,
    write: LakeWrite | None,
    tell: Progress,
) -> Restored:
    store = analytics_store()
    path = store.path
    path.parent.mkdir(parents=True, exist_ok=True)
    new = path.with_name(f"{path.name}.restoring")
    store_backup.remove_store_file(new)
    tables = [
        store_backup.StoreTable(f.name, Path(f.path).name, f.rows)
        for f in manifest.files
        if f.kind in ("store_table", "snapshot")
    ]
    if write is not None:
        store_backup.stage_lake(
            write, directory / STORE_DIR, tables, store.memory_limit,
            lambda table, f: tell(f"{table} (lake)", 0.2 + 0.1 * f),
        )  # fmt: skip
        tables = [table for table in tables if table.name != LINES]  # in the lake only
    store_backup.build_store(
        new, directory / STORE_DIR, tables, lambda table, f: tell(table, 0.3 + 0.3 * f)
    )
    lake_root = str(write.lake.root) if write is not None else None
    kept: Path | None = None
    swapped = False
    try:
        with transaction.atomic():
            # The export's audit trail replaces this install's; loading it records nothing.
            with unsealed(), quiet():
                _replace_operational(
                    manifest, directory, lambda label, f: tell(label, 0.6 + 0.4 * f)
                )
            trail.record(
                Action.RESTORED,
                object_type="install",
                object_repr=f"export of {manifest.created_at}",
                detail={
                    "directory": str(directory),
                    "replaced": not empty,
                    "rows": manifest.rows,
                    "lines_from": manifest.lines_from,
                    "lake": lake_root,
                },
                by=user,
                summary=True,
            )
            # Waiting for the store's writers, then the swap, then the lake's commit: the
            # last steps before the database's commit.
            with store.connect() as con:
                con.con.execute("CHECKPOINT")
            kept = store_backup.swap_store(new, path)
            swapped = True
            if write is not None:
                write.commit(dict.fromkeys(LAKE_TABLES))
    except BaseException:
        if write is not None and write.committed is not None:
            write.revert()
        if swapped:
            store_backup.unswap_store(kept, path)
        store_backup.remove_store_file(new)
        raise
    if kept is not None:
        kept.unlink(missing_ok=True)
    tell("done", 1.0)
    version = write.committed.version if write is not None and write.committed else None
    return Restored(manifest=manifest, replaced=not empty, lake=lake_root, lake_version=version)


def _lake() -> Lake | None:
    """The lake, when the install keeps its lines there (spark engine); else None."""
    if not on_spark():
        return None
    try:
        return analytics_lake()
    except LakeError as error:
        raise BackupInvalid(f"the lake cannot be used: {error}") from error


def _lake_writing(lake: Lake | None) -> AbstractContextManager[LakeWrite | None]:
    """The lake's writer lock and one staged version, or nothing without a lake."""
    return lake.writing() if lake is not None else nullcontext()


def _replace_operational(manifest: Manifest, directory: Path, tell: Progress) -> None:
    """Delete every backed-up row (and every session: their users are replaced), then load
    the export's files in dependency order; foreign keys are checked at commit."""
    chosen = backed_up_models()
    Session.objects.all().delete()
    with connection.cursor() as cursor:
        for table in _tables_replaced(chosen):
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")
    by_name = {f.name: f for f in manifest.files if f.kind == "model"}
    loaded: list[type[models.Model]] = []
    deferred = []
    for index, model in enumerate(chosen):
        entry = by_name.get(model._meta.label_lower)
        if entry is None:  # a model the exporting kam did not have yet: nothing to load
            continue
        tell(model._meta.label, index / len(chosen))
        with (directory / entry.path).open(encoding="utf-8") as stream:
            for obj in serializers.deserialize("jsonl", stream, handle_forward_references=True):
                obj.save()
                if obj.deferred_fields:
                    deferred.append(obj)
        loaded.append(model)
    for obj in deferred:
        obj.save_deferred_fields()
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), loaded):
            cursor.execute(statement)


def _tables_replaced(chosen: list[type[models.Model]]) -> list[str]:
    """The tables a restore empties: every backed-up model's (the role groups aside: the
    export's update them by name), their many-to-many tables, and those of any other model
    pointing at them (the admin's log of its users' actions). Deleted in SQL, not through
    the ORM, because the foreign keys are checked at commit, when every row is back; the
    ORM would refuse a protected self-reference (a cycle's previous cycle) along the way."""
    replaced = [model for model in chosen if model is not Group]
    tables: list[str] = []
    for model in replaced:
        tables.append(model._meta.db_table)
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            if through is not None and through._meta.auto_created:
                tables.append(through._meta.db_table)
    for model in apps.get_models():
        if model in chosen or not model._meta.managed or model._meta.proxy:
            continue
        if any(
            field.is_relation and field.related_model in replaced
            for field in model._meta.concrete_fields
        ):
            tables.append(model._meta.db_table)
    return list(dict.fromkeys(tables))


def _dump_model(model: type[models.Model], directory: Path) -> BackupFile:
    label = model._meta.label_lower
    relative = f"{OPERATIONAL_DIR}/{label}.jsonl"
    rows = 0
    with (directory / relative).open("w", encoding="utf-8") as stream:
        for line in _serialised(model):
            stream.write(line)
            rows += 1
    return _described(directory, relative, "model", label, rows)


def _serialised(model: type[models.Model]) -> Iterator[str]:
    """The model's rows, one JSON line each, by primary key; foreign keys to users, groups,
    permissions and content types by natural key, so they survive a change of ids."""
    queryset = model._base_manager.order_by("pk")
    for chunk in _chunks(queryset.iterator(chunk_size=2000), 2000):
        text = serializers.serialize(
            "jsonl",
            chunk,
            use_natural_foreign_keys=True,
            use_natural_primary_keys=model is Group,
            cls=ExactJSONEncoder,
        )
        yield from text.splitlines(keepends=True)


def _chunks(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _applied_migrations() -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app_label, name in sorted(MigrationRecorder(connection).applied_migrations()):
        applied.setdefault(app_label, []).append(name)
    return applied


def _described(directory: Path, relative: str, kind: str, name: str, rows: int) -> BackupFile:
    file = directory / relative
    return BackupFile(relative, kind, name, rows, file.stat().st_size, _sha256(file))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _kam_version() -> str:
    try:
        return importlib.metadata.version("kam")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
