"""How a file's headers map onto kam's canonical column names, and how its dates are written."""

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path


class MappingError(ValueError):
    """A column mapping that cannot be understood (a malformed pair or TOML file)."""


@dataclass(frozen=True)
class ColumnMapping:
    """Canonical column name -> the header the file uses for it, plus the file's date format.

    Columns not named here are looked up under their canonical name (ignoring case and
    surrounding spaces). ``date_format`` is a strptime pattern such as ``%d/%m/%Y``; None
    means ISO 8601 (``YYYY-MM-DD``, a time of day after it is ignored).
    """

    columns: Mapping[str, str] = field(default_factory=dict)
    date_format: str | None = None

    @classmethod
    def parse(cls, pairs: Iterable[str], *, date_format: str | None = None) -> "ColumnMapping":
        """Build a mapping from ``canonical=Header`` pairs, e.g. ``["date=InvoiceDate"]``.

        The pair ``date_format=%d/%m/%Y`` sets the date format as well.
        """
        columns: dict[str, str] = {}
        for pair in pairs:
            canonical, sep, header = pair.partition("=")
            canonical, header = canonical.strip(), header.strip()
            if not sep or not canonical or not header:
                raise MappingError(
                    f"column mapping {pair!r}: write it as canonical=Header, e.g. date=InvoiceDate"
                )
            if canonical == "date_format":
                date_format = header
            else:
                columns[canonical] = header
        return cls(columns=columns, date_format=date_format)

    @classmethod
    def from_toml(cls, path: Path | str) -> "ColumnMapping":
        """Read a mapping file with a ``[columns]`` table and an optional ``date_format`` key.

        Example::

            date_format = "%d/%m/%Y"
            [columns]
            date = "InvoiceDate"
            customer_id = "Customer ID"
        """
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            raise MappingError(f"cannot read the column mapping {path}: {error}") from error
        columns = data.get("columns", {})
        date_format = data.get("date_format")
        if not isinstance(columns, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in columns.items()
        ):
            raise MappingError(f"{path}: [columns] must map canonical names to header strings")
        if date_format is not None and not isinstance(date_format, str):
            raise MappingError(f"{path}: date_format must be a string such as '%d/%m/%Y'")
        unknown = set(data) - {"columns", "date_format"}
        if unknown:
            raise MappingError(
                f"{path}: unknown keys {', '.join(sorted(unknown))} "
                "(expected [columns] and date_format)"
            )
        return cls(columns=dict(columns), date_format=date_format)

    def merged(self, other: "ColumnMapping") -> "ColumnMapping":
        """This mapping with ``other``'s entries winning (command-line pairs over a file)."""
        return ColumnMapping(
            columns={**self.columns, **other.columns},
            date_format=other.date_format or self.date_format,
        )

    def header_for(self, canonical: str) -> str:
        """The header the file is expected to use for ``canonical``."""
        return self.columns.get(canonical, canonical)
