"""The rules an import file must pass, as SQL over the staging rows.

Each function returns the checks for one family of rules; ``checks.run_checks`` runs
them all in one statement. A check yields every row that breaks its rule, with the line,
the column (as the file names it), a reason a person can act on, and the offending
value, so one refusal names every bad row.
"""

from collections.abc import Mapping

import duckdb

from kam.analytics.ingest.checks import Check, FoundProblem
from kam.analytics.ingest.readers import REJECTS_TABLE
from kam.analytics.ingest.stage import ROWS, STAGE
from kam.analytics.schema import Column, ColumnType, DocumentType

DOCUMENT_TYPES = tuple(t.value for t in DocumentType)


def _quoted(expr: str) -> str:
    """SQL text for ``'value'`` as it appears in a reason."""
    return f"'''' || {expr} || ''''"


def check_csv_shape() -> list[Check]:
    """Lines the CSV reader could not take: wrong field counts, bad encoding, bad quoting."""
    reason = """
        CASE
          WHEN error_type IN ('MISSING COLUMNS', 'TOO MANY COLUMNS') THEN
            'wrong number of fields: expected '
            || regexp_extract(error_message, 'Expected Number of Columns: (\\d+)', 1)
            || ', found '
            || regexp_extract(error_message, 'Found: (\\d+)', 1)
          WHEN error_type = 'INVALID ENCODING' THEN
            'not UTF-8 text (save the file as UTF-8 and import it again)'
          ELSE lower(error_type) || ': ' || split_part(error_message, chr(10), 1)
        END"""
    return [
        Check(
            column=None,
            column_sql="CASE WHEN error_type = 'INVALID ENCODING' THEN column_name END",
            where="true",
            reason=reason,
            value="left(csv_line, 200)",
            source=REJECTS_TABLE,
        )
    ]


def check_required(columns: tuple[Column, ...], headers: Mapping[str, str]) -> list[Check]:
    """Every required column has a value on every row."""
    checks = []
    for column in columns:
        if not column.required:
            continue
        where = f'"{column.name}" IS NULL'
        if column.type is not ColumnType.TEXT:
            where += f' AND "{column.name}__raw" IS NULL'
        checks.append(Check(headers[column.name], where, "'empty required value'"))
    return checks


def check_text(columns: tuple[Column, ...], headers: Mapping[str, str]) -> list[Check]:
    """No text holds a NUL byte (binary data), no identifier a line break or control character."""
    checks = []
    for column in columns:
        if column.name not in headers or column.type is not ColumnType.TEXT:
            continue
        name = f'"{column.name}"'
        if column.identifier:
            checks.append(
                Check(
                    headers[column.name],
                    f"regexp_matches({name}, '[\\x00-\\x1f\\x7f]')",
                    "'an id may not contain a line break, tab or other control character: ' "
                    f"|| {_quoted(_visible(name))}",
                    _visible(name),
                )
            )
        else:
            checks.append(
                Check(
                    headers[column.name],
                    f"contains({name}, chr(0))",
                    "'contains a NUL byte (is this binary data rather than text?)'",
                    f"left({_visible(name)}, 80)",
                )
            )
    return checks


def _visible(expr: str) -> str:
    """SQL showing NUL, CR, LF and tab in ``expr`` as \\0, \\r, \\n, \\t, other controls as ?."""
    return (
        f"regexp_replace(replace(replace(replace(replace({expr}, chr(0), '\\0'), "
        "chr(13), '\\r'), chr(10), '\\n'), chr(9), '\\t'), '[\\x01-\\x1f\\x7f]', '?', 'g')"
    )


def check_typed(
    columns: tuple[Column, ...], headers: Mapping[str, str], date_format: str | None
) -> list[Check]:
    """Dates parse and numbers are finite numbers."""
    expected = date_format or "YYYY-MM-DD"
    checks = []
    for column in columns:
        if column.name not in headers or column.type is ColumnType.TEXT:
            continue
        raw = f'"{column.name}__raw"'
        if column.type is ColumnType.DATE:
            reason = f"'unparseable date ' || {_quoted(raw)} || ' (expected {expected})'"
        else:
            reason = (
                f"CASE WHEN TRY_CAST({raw} AS DOUBLE) IS NULL THEN 'not a number ' "
                f"ELSE 'not a finite number ' END || {_quoted(raw)}"
            )
        checks.append(Check(headers[column.name], f"{raw} IS NOT NULL", reason, raw))
    return checks


def check_transaction_rules(
    con: duckdb.DuckDBPyConnection, headers: Mapping[str, str], unit: str
) -> list[Check]:
    """Document types, signs, duplicate lines and unknown customers."""
    checks = []
    if "document_type" in headers:
        expected = " or ".join(DOCUMENT_TYPES)
        checks.append(
            Check(
                headers["document_type"],
                f"document_type NOT IN {DOCUMENT_TYPES}",
                f"'unknown document_type ' || {_quoted('document_type')} "
                f"|| ' (expected {expected})'",
                "document_type",
            )
        )
    negative_invoice = f"quantity < 0 AND document_type = '{DocumentType.INVOICE.value}'"
    if "document_type" not in headers:
        # The file leaves document_type as stored, so a stored credit note stays one.
        negative_invoice += (
            " AND NOT EXISTS (SELECT 1 FROM transactions t WHERE t.invoice_id = "
            f"{ROWS}.invoice_id AND t.line_id = {ROWS}.line_id "
            f"AND t.document_type = '{DocumentType.CREDIT_NOTE.value}')"
        )
    checks.append(
        Check(
            headers["quantity"],
            negative_invoice,
            "'negative quantity ' || printf('%g', quantity) || ' on an invoice line "
            "(only credit_note lines may be negative)'",
            "printf('%g', quantity)",
        )
    )
    # Grouping a 64-bit hash is several times faster than grouping two strings; the
    # candidates it finds are then compared exactly.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE kam_duplicate_keys AS "
        f"SELECT DISTINCT invoice_id, line_id FROM {STAGE} WHERE hash(invoice_id, line_id) IN "
        f"(SELECT h FROM (SELECT hash(invoice_id, line_id) AS h FROM {STAGE} "
        "WHERE invoice_id IS NOT NULL AND line_id IS NOT NULL GROUP BY h HAVING count(*) > 1))"
    )
    checks.append(
        Check(
            headers["line_id"],
            "line > first_line",
            f"'duplicate line: invoice ' || {_quoted('invoice_id')} || ' line ' || "
            f"{_quoted('line_id')} || ' is already on {unit} ' || first_line",
            "invoice_id || '/' || line_id",
            source=(
                f"(SELECT line, invoice_id, line_id, min(line) OVER "
                f"(PARTITION BY invoice_id, line_id) AS first_line "
                f"FROM {ROWS} SEMI JOIN kam_duplicate_keys USING (invoice_id, line_id))"
            ),
        )
    )
    checks.append(
        Check(
            headers["customer_id"],
            # NOT EXISTS plans as an anti join; NOT IN would need NULL-aware matching
            "customer_id IS NOT NULL AND NOT EXISTS "
            f"(SELECT 1 FROM customers c WHERE c.customer_id = {ROWS}.customer_id)",
            f"'unknown customer ' || {_quoted('customer_id')} "
            "|| ' (import it with the customers first)'",
            "customer_id",
        )
    )
    return checks


def check_customer_rules(
    headers: Mapping[str, str], unit: str, max_lengths: Mapping[str, int]
) -> list[Check]:
    """Unique ids, parents that exist, no account its own parent, lengths that fit."""
    checks = [
        Check(
            headers["customer_id"],
            "line > first_line",
            f"'duplicate customer_id ' || {_quoted('customer_id')} || ' (first on {unit} ' "
            "|| first_line || ')'",
            "customer_id",
            source=(
                f"(SELECT line, customer_id, min(line) OVER (PARTITION BY customer_id) "
                f"AS first_line FROM {ROWS} WHERE customer_id IS NOT NULL)"
            ),
        )
    ]
    if "parent_id" in headers:
        parent = headers["parent_id"]
        checks.append(
            Check(
                parent,
                "parent_id = customer_id",
                "'account ' || " + _quoted("customer_id") + " || ' is its own parent'",
                "parent_id",
            )
        )
        checks.append(
            Check(
                parent,
                "parent_id IS NOT NULL AND parent_id <> customer_id "
                f"AND NOT EXISTS (SELECT 1 FROM {STAGE} s WHERE s.customer_id = {ROWS}.parent_id)"
                " AND NOT EXISTS "
                f"(SELECT 1 FROM customers c WHERE c.customer_id = {ROWS}.parent_id)",
                f"'parent_id ' || {_quoted('parent_id')} || "
                "' not found (neither in this file nor imported before)'",
                "parent_id",
            )
        )
    for name, limit in max_lengths.items():
        if name in headers:
            checks.append(
                Check(
                    headers[name],
                    f'length("{name}") > {int(limit)}',
                    f"'too long: ' || length(\"{name}\") || ' characters (at most {int(limit)})'",
                    f'left("{name}", 80)',
                )
            )
    return checks


def find_cycles(con: duckdb.DuckDBPyConnection, headers: Mapping[str, str]) -> list[FoundProblem]:
    """Accounts whose parent chain would come back to them after the import."""
    if "parent_id" not in headers:
        return []
    column = headers["parent_id"]
    # Walk down from every root of the hierarchy the import would produce (this file's
    # rows over the stored customers). Accounts never reached sit in or under a cycle;
    # there are few of them, so the cycles themselves are traced in Python.
    unreached = con.execute(
        f"""
        WITH RECURSIVE hierarchy AS (
            SELECT customer_id, any_value(parent_id ORDER BY line) AS parent_id
            FROM {ROWS} WHERE customer_id IS NOT NULL GROUP BY customer_id
            UNION ALL
            SELECT customer_id, parent_id FROM customers
            WHERE NOT EXISTS (SELECT 1 FROM {STAGE} s WHERE s.customer_id = customers.customer_id)
        ),
        reached(customer_id) AS (
            SELECT customer_id FROM hierarchy h0
            WHERE parent_id IS NULL OR parent_id = customer_id
               OR NOT EXISTS (SELECT 1 FROM hierarchy p WHERE p.customer_id = h0.parent_id)
            UNION
            SELECT h.customer_id FROM hierarchy h JOIN reached r ON h.parent_id = r.customer_id
        )
        SELECT customer_id, parent_id FROM hierarchy
        WHERE NOT EXISTS (SELECT 1 FROM reached r WHERE r.customer_id = hierarchy.customer_id)
        """
    ).fetchall()
    if not unreached:
        return []
    parents: dict[str, str] = dict(unreached)
    in_cycle: dict[str, list[str]] = {}
    for start in parents:
        path: list[str] = []
        node = start
        while node in parents and node not in path and node not in in_cycle:
            path.append(node)
            node = parents[node]
        if node in path:
            cycle = path[path.index(node) :]
            for member in cycle:
                at = cycle.index(member)
                in_cycle[member] = cycle[at:] + cycle[:at] + [member]
    lines = dict(
        con.execute(
            f"SELECT customer_id, min(line) FROM {ROWS} "
            "WHERE list_contains(?, customer_id) GROUP BY customer_id",
            [list(in_cycle)],
        ).fetchall()
    )
    return [
        (lines[member], column, "hierarchy cycle: " + " -> ".join(chain))
        for member, chain in sorted(in_cycle.items(), key=lambda item: lines.get(item[0], 0))
        if member in lines
    ]
