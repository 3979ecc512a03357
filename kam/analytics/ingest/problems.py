"""What an import reports: counts of what changed, and every problem that refused the file."""

from dataclasses import dataclass
from typing import Literal

MAX_REPORTED_PROBLEMS = 1000
"""Problems kept in an ImportReport; the total is always counted and a CSV can hold them all."""

ImportKind = Literal[
    "customers",
    "transactions",
    "contacts",
    "ratings",
    "engagements",
    "opportunities",
    "wallets",
    "cost to serve",
    "satisfaction",
]


@dataclass(frozen=True)
class RowProblem:
    """One reason a file was refused, pointing at the line (or row) and column at fault.

    ``line`` is None for problems with the whole file (a missing column, an unreadable
    file). ``unit`` is "line" for CSV files (the header is line 1) and "row" for Parquet
    (row 1 is the first data row) and Excel (rows numbered as Excel shows them).
    """

    file: str
    line: int | None
    column: str | None
    reason: str
    value: str | None = None
    unit: Literal["line", "row"] = "line"

    def __str__(self) -> str:
        where = [self.file]
        if self.line is not None:
            where.append(f"{self.unit} {self.line}")
        if self.column:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.reason}"


@dataclass(frozen=True)
class ImportReport:
    """The outcome of one import: rows read, how many were inserted, updated or unchanged.

    A refused import has ``problem_count`` > 0, ``problems`` holds the first
    ``MAX_REPORTED_PROBLEMS`` of them in file order, and nothing was written.
    """

    kind: ImportKind
    file: str
    rows: int
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: tuple[RowProblem, ...] = ()
    problem_count: int = 0
    ignored_columns: tuple[str, ...] = ()

    @property
    def refused(self) -> bool:
        """True when the file was refused whole because of at least one problem."""
        return self.problem_count > 0

    def summary(self) -> str:
        """One line for a terminal or a flash message."""
        if self.refused:
            return (
                f"{self.file}: refused, {self.problem_count} problem"
                f"{'s' if self.problem_count != 1 else ''}; nothing was imported"
            )
        return (
            f"{self.file}: {self.rows} {self.kind} rows read, {self.inserted} inserted, "
            f"{self.updated} updated, {self.unchanged} unchanged"
        )


class ImportRefused(Exception):
    """A file was refused whole; ``report`` names every problem (up to the first 1000)."""

    shown = 5

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        lines = [report.summary()]
        lines += [f"  {problem}" for problem in report.problems[: self.shown]]
        if report.problem_count > self.shown:
            lines.append(f"  ... and {report.problem_count - self.shown} more")
        super().__init__("\n".join(lines))
