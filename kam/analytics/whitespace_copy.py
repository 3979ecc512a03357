"""Whitespace answered on a reader copy of the store: the rows of
``kam.analytics.whitespace``'s expressions, for a handful of accounts, without deriving the
whole store's purchases and size bands on every request.

A page asks for the whitespace of one account (its grid) or of a manager's ten (the
biggest gap of each), and the expressions answer by grouping every customer's lines of the
12 months by category and business unit, banding every customer by revenue and joining the
peer spend of whole size bands: about a second of CPU at 150,000 customers, for ten
accounts. What of that depends on the store alone is derived here once per reader copy and
process (kept in the copy's memo, ``reader_memo``), at the latest date, as the pages ask it,
in the SQL the expressions compile to: each customer's revenue per category and business
unit (``bought``) and per category, the size bands (``size_bands``), what each banded
customer bought per category, sorted by segment × size band cell, the sorted spend of each
cell and category, and the categories sold to anyone.

Each request then reads slices of those: the wanted accounts' rows and the rows of the
cells they are in, with the open pipeline and the entered wallets it is given — read from
the operational database on every request, so a wallet entered a moment ago counts now, as
the account's own figure and as a peer's (a cell and category where a member's wallet
replaces its purchases is sorted again). The SQL mirrors the expressions' joins and
arithmetic (the median is DuckDB's ``quantile_cont`` at 0.5, as Ibis compiles ``median``),
so the rows are the same, in the same order and types, up to the last bits of sums DuckDB
adds in no set order.

On a writer's connection, at another date, with wallets not one per account and category,
or when DuckDB refuses a plan, the expressions answer.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from ibis.backends.duckdb import Backend as DuckDBBackend

from kam.analytics import whitespace as ws
from kam.analytics.account_figures import add_months
from kam.analytics.store import latest_transaction_date, reader_memo

CELL_SCHEMA = pa.schema(
    [
        ("customer_id", pa.string()),
        ("category", pa.string()),
        ("business_unit", pa.string()),
        ("revenue_12m", pa.float64()),
        ("pipeline", pa.float64()),
        ("state", pa.string()),
    ]
)
"""The columns of ``cells`` (as ``whitespace.cells`` gives them)."""
CATEGORY_SCHEMA = pa.schema(
    [
        ("customer_id", pa.string()),
        ("category", pa.string()),
        ("bought", pa.float64()),
        ("pipeline", pa.float64()),
        ("wallet_entered", pa.float64()),
        ("peer_median", pa.float64()),
        ("peer_low", pa.float64()),
        ("peer_high", pa.float64()),
        ("peer_count", pa.int64()),
        ("wallet", pa.float64()),
        ("wallet_source", pa.string()),
        ("share_of_wallet", pa.float64()),
        ("open_wallet", pa.float64()),
        ("gap_kind", pa.string()),
    ]
)
"""The columns of ``categories`` (as ``whitespace.categories`` gives them)."""
PEER_SCHEMA = pa.schema(
    [
        ("customer_id", pa.string()),
        ("category", pa.string()),
        ("peer_id", pa.string()),
        ("spend", pa.float64()),
        ("from_wallet", pa.bool_()),
    ]
)
"""The columns of ``peers_of`` (as ``whitespace.peers_of`` gives them)."""


@dataclass(frozen=True)
class _CopyTables:
    """What whitespace derives from one reader copy, and where each customer's rows start."""

    bought: pa.Table
    by_category: pa.Table
    bands: pa.Table
    banded: pa.Table
    cell_spend: pa.Table
    members: pa.Table
    sold: tuple[str, ...]
    at: dict[str, dict[str, tuple[int, int]]]
    cells: dict[str, dict[tuple[str, int], tuple[int, int]]]

    def rows(self, name: str, customer_ids: Any) -> pa.Table:
        """The rows of ``name`` (sorted by customer) of ``customer_ids``, sliced, no scan."""
        return _sliced(getattr(self, name), self.at[name], customer_ids)

    def in_cells(self, name: str, cells: Any) -> pa.Table:
        """The rows of ``name`` (sorted by segment and size band) in ``cells``, sliced."""
        return _sliced(getattr(self, name), self.cells[name], cells)


def _sliced(table: pa.Table, spans: dict[Any, tuple[int, int]], keys: Any) -> pa.Table:
    """The rows of ``table`` whose ``spans`` (where each key's rows start and stop) ``keys``
    name, in the keys' order, without a scan."""
    found = [spans.get(key) for key in sorted(set(keys))]
    parts = [table.slice(start, stop - start) for start, stop in filter(None, found)]
    return pa.concat_tables(parts) if parts else table.schema.empty_table()


def _spans(table: pa.Table) -> dict[str, tuple[int, int]]:
    """Where each customer's rows start and stop in ``table`` (sorted by customer)."""
    if not table.num_rows:
        return {}
    runs = pc.run_end_encode(table.column("customer_id").combine_chunks())
    ends = runs.run_ends.to_pylist()
    return dict(zip(runs.values.to_pylist(), zip([0, *ends[:-1]], ends, strict=True), strict=True))


def _cell_spans(table: pa.Table) -> dict[tuple[str, int], tuple[int, int]]:
    """Where each segment × size band cell's rows start and stop in ``table`` (sorted so)."""
    spans: dict[tuple[str, int], tuple[int, int]] = {}
    cells = zip(
        table.column("segment").to_pylist(), table.column("size_band").to_pylist(), strict=True
    )
    for row, cell in enumerate(cells):
        start = spans.get(cell, (row, row))[0]
        spans[cell] = (start, row + 1)
    return spans


def _build(con: DuckDBBackend, as_of: date) -> _CopyTables:
    """Every customer's purchases of the 12 months per category (and business unit), the
    size bands, and the sorted spend of each band cell: ``bought``, ``size_bands`` and
    ``peer_spend``'s purchases, in the same SQL the expressions compile to."""
    window = {"first": add_months(as_of, -11), "after": add_months(as_of, 1)}
    raw = con.con

    def run(sql: str, params: dict[str, Any] | None = None, **inputs: pa.Table) -> pa.Table:
        with _registered(con, **inputs) as found:
            query = sql.format(**found.names)
            if inputs:
                query = f"WITH {found.ctes} {query}"
            return raw.execute(query, params or {}).to_arrow_table()

    bought = run(
        """SELECT customer_id, category, coalesce(business_unit, '') AS business_unit,
                  sum(revenue) AS revenue_12m
           FROM transactions
           WHERE date >= $first AND date < $after AND category IS NOT NULL
           GROUP BY 1, 2, 3 ORDER BY customer_id""",
        window,
    )
    bands = run(
        f"""WITH revenue AS (
                SELECT customer_id, sum(revenue) AS revenue_12m FROM customer_month
                WHERE month >= $first AND month < $after GROUP BY 1),
            joined AS (
                SELECT r.customer_id, c.segment, r.revenue_12m
                FROM (SELECT * FROM revenue WHERE revenue_12m > 0) AS r
                LEFT JOIN (SELECT customer_id, segment FROM customers) AS c
                  ON r.customer_id = c.customer_id)
            SELECT customer_id, coalesce(segment, '') AS segment,
                   ntile({ws.SIZE_BANDS}) OVER (
                       ORDER BY revenue_12m ASC, customer_id ASC
                       ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) - 1
                     AS size_band,
                   revenue_12m
            FROM joined ORDER BY customer_id""",
        window,
    )
    by_category = run(
        """SELECT customer_id, category, sum(revenue_12m) AS bought FROM {bought}
           GROUP BY 1, 2 ORDER BY customer_id""",
        bought=bought,
    )
    banded = run(
        """SELECT s.customer_id, s.category, s.bought, b.segment, b.size_band
           FROM {by_category} AS s JOIN {bands} AS b ON s.customer_id = b.customer_id
           ORDER BY b.segment, b.size_band, s.category, s.customer_id""",
        by_category=by_category,
        bands=bands,
    )
    cell_spend = run(
        """SELECT segment, size_band, category, list(bought ORDER BY bought) AS s
           FROM {banded} WHERE bought > 0 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3""",
        banded=banded,
    )
    members = run(
        "SELECT customer_id, segment, size_band FROM {bands} ORDER BY segment, size_band",
        bands=bands,
    )
    sold = run("SELECT DISTINCT category FROM {bought} ORDER BY category", bought=bought)
    return _CopyTables(
        bought=bought,
        by_category=by_category,
        bands=bands,
        banded=banded,
        cell_spend=cell_spend,
        members=members,
        sold=tuple(sold.column("category").to_pylist()),
        at={"bought": _spans(bought), "by_category": _spans(by_category), "bands": _spans(bands)},
        cells={
            name: _cell_spans(table)
            for name, table in (
                ("banded", banded),
                ("cell_spend", cell_spend),
                ("members", members),
            )
        },
    )


_building = threading.Lock()


def _derived(con: Any, query: ws.WhitespaceQuery) -> _CopyTables | None:
    """The per-copy tables for ``query``'s date, built on first use; None on a writer's
    connection or at a date other than the latest (then the expressions answer)."""
    if not isinstance(con, DuckDBBackend):
        return None
    memo = reader_memo(con)
    if memo is None or query.as_of != latest_transaction_date(con):
        return None
    if "whitespace" not in memo:
        with _building:  # one thread derives them; the others wait for it
            if "whitespace" not in memo:
                memo["whitespace"] = _build(con, query.as_of)
    tables: _CopyTables = memo["whitespace"]
    return tables


_names = itertools.count()


@dataclass(frozen=True)
class _Inputs:
    """The request's Arrow tables as the query reads them: ``names[key]`` is a CTE that
    copies the table (``ctes``), so no join ever reads the Arrow table itself. DuckDB 1.5
    may push a join's Bloom filter into a scan of an Arrow table and then fail the query
    ("Pushdown Filter Type BLOOM_FILTER is not currently supported in PyArrow Scans",
    duckdb/duckdb-python#463); a materialised CTE is read before any join runs."""

    names: dict[str, str]
    ctes: str


@contextmanager
def _registered(con: DuckDBBackend, **tables: pa.Table) -> Iterator[_Inputs]:
    """The request's own Arrow tables under names of this call only."""
    number = next(_names)
    registered = {key: f"_whitespace_{key}_{number}" for key in tables}
    for key, table in tables.items():
        con.con.register(registered[key], table)
    ctes = ",\n".join(
        f"in_{key} AS MATERIALIZED (SELECT * FROM {name})" for key, name in registered.items()
    )
    try:
        yield _Inputs({key: f"in_{key}" for key in tables}, ctes)
    finally:
        for name in registered.values():
            con.con.unregister(name)


WANTED = "wanted AS (SELECT DISTINCT unnest($ids::VARCHAR[]) AS customer_id)"


def _catalogue(pipeline: str, wallets: str) -> str:
    """``whitespace._catalogue``: per wanted account, every category sold to anyone, and
    those its own pipeline or wallets name."""
    return f"""catalogue AS (
        SELECT DISTINCT * FROM (
            SELECT w.customer_id, s.category FROM wanted AS w
            CROSS JOIN (SELECT unnest($sold::VARCHAR[]) AS category) AS s
            UNION ALL
            SELECT * FROM (
                SELECT customer_id, category FROM {pipeline}
                UNION ALL SELECT customer_id, category FROM {wallets}) AS own
            WHERE own.customer_id IN (SELECT customer_id FROM wanted)))"""


def _own(names: dict[str, str]) -> str:
    """``own``: each wanted account's segment × size band cell; ``cells``: those cells."""
    return f"""own AS (
        SELECT customer_id AS account_id, segment AS own_segment, size_band AS own_band
        FROM {names["own_bands"]}),
    cells AS (SELECT DISTINCT own_segment, own_band FROM own)"""


def _spend(names: dict[str, str]) -> str:
    """CTEs ending in ``spend``: ``whitespace.peer_spend`` over the segment × size band
    cells of the wanted accounts only (no peer of theirs lives outside them), and ``own``,
    each wanted account's cell."""
    return f"""{_own(names)},
    members AS (
        SELECT b.customer_id, b.segment, b.size_band FROM {names["members"]} AS b
        JOIN cells ON b.segment = cells.own_segment AND b.size_band = cells.own_band),
    cell_bought AS (
        SELECT s.customer_id, s.category, s.bought FROM {names["banded"]} AS s
        JOIN cells ON s.segment = cells.own_segment AND s.size_band = cells.own_band),
    cell_entered AS (
        SELECT w.customer_id, w.category, w.amount FROM {names["wallets"]} AS w
        WHERE w.customer_id IN (SELECT customer_id FROM members)),
    spend_all AS (
        SELECT coalesce(s.customer_id, w.customer_id) AS customer_id,
               coalesce(s.category, w.category) AS category,
               coalesce(w.amount, s.bought) AS spend,
               w.amount IS NOT NULL AS from_wallet
        FROM cell_bought AS s FULL OUTER JOIN cell_entered AS w
          ON s.customer_id = w.customer_id AND s.category = w.category),
    spend AS (
        SELECT p.customer_id, p.category, p.spend, p.from_wallet, m.segment, m.size_band
        FROM (SELECT * FROM spend_all WHERE spend > 0) AS p
        JOIN members AS m ON p.customer_id = m.customer_id)"""


PEERS = """peers AS (
    SELECT own.account_id AS customer_id, spend.category, spend.customer_id AS peer_id,
           spend.spend, spend.from_wallet
    FROM own JOIN spend ON own.own_segment = spend.segment AND own.own_band = spend.size_band
    WHERE own.account_id <> spend.customer_id)"""
"""``whitespace.peers_of``: one row per wanted account, category and peer."""


def _peer_t(i: str) -> str:
    """The ``i``-th (1-based) smallest spend of the account's peers: its cell's sorted
    spend ``s`` without the account's own, at position ``k`` (``n + 1`` when it has none)."""
    return f"(CASE WHEN {i} < k THEN s[{i}] ELSE s[{i} + 1] END)"


def _estimate(names: dict[str, str]) -> str:
    """CTEs ending in ``estimate``: the peer estimate of each wanted account and category
    (``whitespace.categories``'s median, lowest, highest and count over ``peers_of``)
    without a row per peer.

    The spend of each segment × size band cell in each category, sorted, is kept with the
    copy (``whitespace_cell_spend``: what each member bought, where above zero); only a
    cell and category where an entered wallet replaces a member's figure is sorted again,
    from its members' rows. The account's own spend is then taken out by position, and the
    median is ``quantile_cont(spend, 0.5)`` as DuckDB computes it: with ``m`` peers, at rank
    ``rn = (m - 1) × 0.5`` the value there, or between the two values around it,
    ``low + (high - low) × (rn - ⌊rn⌋)``.
    """
    return f"""{_own(names)},
    cell_entered AS (
        SELECT w.customer_id, w.category, w.amount, b.segment, b.size_band
        FROM {names["wallets"]} AS w JOIN {names["wallet_bands"]} AS b
          ON w.customer_id = b.customer_id
        JOIN cells ON b.segment = cells.own_segment AND b.size_band = cells.own_band),
    touched AS (SELECT DISTINCT segment, size_band, category FROM cell_entered),
    touched_bought AS (
        SELECT s.customer_id, s.category, s.bought, s.segment, s.size_band
        FROM {names["touched_banded"]} AS s JOIN touched AS t
          ON s.segment = t.segment AND s.size_band = t.size_band AND s.category = t.category),
    touched_spend AS (
        SELECT * FROM (
            SELECT coalesce(s.segment, w.segment) AS segment,
                   coalesce(s.size_band, w.size_band) AS size_band,
                   coalesce(s.category, w.category) AS category,
                   coalesce(w.amount, s.bought) AS spend
            FROM touched_bought AS s FULL OUTER JOIN cell_entered AS w
              ON s.customer_id = w.customer_id AND s.category = w.category)
        WHERE spend > 0),
    cell_spend AS (
        SELECT c.segment, c.size_band, c.category, c.s FROM {names["cell_spend"]} AS c
        JOIN cells ON c.segment = cells.own_segment AND c.size_band = cells.own_band
        ANTI JOIN touched AS t
          ON c.segment = t.segment AND c.size_band = t.size_band AND c.category = t.category
        UNION ALL
        SELECT segment, size_band, category, list(spend ORDER BY spend) AS s
        FROM touched_spend GROUP BY 1, 2, 3),
    own_spend AS (
        SELECT * FROM (
            SELECT coalesce(b.customer_id, w.customer_id) AS customer_id,
                   coalesce(b.category, w.category) AS category,
                   coalesce(w.amount, b.bought) AS spend
            FROM (SELECT * FROM {names["mine"]}
                  WHERE customer_id IN (SELECT account_id FROM own)) AS b
            FULL OUTER JOIN (SELECT * FROM {names["wallets"]}
                             WHERE customer_id IN (SELECT account_id FROM own)) AS w
              ON b.customer_id = w.customer_id AND b.category = w.category)
        WHERE spend > 0),
    removed AS (
        SELECT own.account_id AS customer_id, c.category, c.s,
               len(c.s) - (me.spend IS NOT NULL)::BIGINT AS m,
               CASE WHEN me.spend IS NULL THEN len(c.s) + 1
                    ELSE list_position(c.s, me.spend) END AS k
        FROM own JOIN cell_spend AS c
          ON own.own_segment = c.segment AND own.own_band = c.size_band
        LEFT JOIN own_spend AS me
          ON me.customer_id = own.account_id AND me.category = c.category),
    ranks AS (
        SELECT *, (m - 1) * 0.5::DOUBLE AS rn,
               floor((m - 1) * 0.5::DOUBLE)::BIGINT + 1 AS lo,
               ceil((m - 1) * 0.5::DOUBLE)::BIGINT + 1 AS hi
        FROM removed WHERE m > 0),
    estimate AS (
        SELECT customer_id, category,
               CASE WHEN lo = hi THEN {_peer_t("lo")}
                    ELSE {_peer_t("lo")} + ({_peer_t("hi")} - {_peer_t("lo")}) * (rn - (lo - 1))
               END AS peer_median,
               {_peer_t("1")} AS peer_low, {_peer_t("m")} AS peer_high, m AS peer_count
        FROM ranks)"""


def _answer(con: DuckDBBackend, sql: str, params: dict[str, Any]) -> pa.Table | None:
    """``sql``'s rows, or None when DuckDB refuses the plan it chose: DuckDB 1.5 may push a
    join's Bloom filter into a scan of an Arrow table, which it cannot apply there
    ("Pushdown Filter Type BLOOM_FILTER is not currently supported in PyArrow Scans",
    duckdb/duckdb-python#463); then the expressions answer, as they did before."""
    try:
        return con.con.execute(sql, params).to_arrow_table()
    except duckdb.NotImplementedException as error:
        if "BLOOM_FILTER" not in str(error):
            raise
        return None


def _by_expressions(con: Any, expression: Any) -> pa.Table:
    """``expression``'s rows, with DuckDB's join filters off for it: the Ibis expressions
    join in-memory tables, and DuckDB 1.5 may push a join's Bloom filter into their Arrow
    scans and refuse the plan (see ``_answer``), depending on the plan it chooses, so a
    fallback that ran into that would fail at random. Rare paths, so the filters' speed is
    not missed."""
    raw = con.con
    before = raw.execute("SELECT current_setting('disabled_optimizers')").fetchone()[0] or ""
    off = ",".join(filter(None, [before, "join_filter_pushdown"]))
    raw.execute(f"SET disabled_optimizers = '{off}'")
    try:
        return expression.to_pyarrow()
    finally:
        raw.execute(f"SET disabled_optimizers = '{before}'")


def _touched(
    tables: _CopyTables, cells: set[tuple[str, int]], wallets: pa.Table, wallet_bands: pa.Table
) -> pa.Table:
    """What the members of ``cells`` bought in each category where one of them has an entered
    wallet: the cells and categories whose sorted spend the request sorts again."""
    band_of = {
        customer: (segment, band)
        for customer, segment, band in zip(
            *(wallet_bands.column(c).to_pylist() for c in ("customer_id", "segment", "size_band")),
            strict=True,
        )
    }
    touched: dict[tuple[str, int], set[str]] = {}
    for customer, category in zip(
        *(wallets.column(c).to_pylist() for c in ("customer_id", "category")), strict=True
    ):
        cell = band_of.get(customer)
        if cell in cells:
            touched.setdefault(cell, set()).add(category)
    found = []
    for cell, categories in sorted(touched.items()):
        rows = tables.in_cells("banded", [cell])
        found.append(rows.filter(pc.is_in(rows.column("category"), pa.array(sorted(categories)))))
    return pa.concat_tables(found) if found else tables.banded.schema.empty_table()


def _one_per_key(wallets: pa.Table) -> bool:
    """Whether ``wallets`` has one row per account and category, as ``WALLET_SCHEMA`` says
    (the estimate takes an account's own spend out of its cell's by position: one value)."""
    keys = zip(*(wallets.column(c).to_pylist() for c in ("customer_id", "category")), strict=True)
    return len(set(keys)) == wallets.num_rows


def _params(tables: _CopyTables, query: ws.WhitespaceQuery) -> dict[str, Any]:
    return {"ids": sorted(set(query.customer_ids)), "sold": list(tables.sold)}


def _cells_of(bands: pa.Table) -> set[tuple[str, int]]:
    """The segment × size band cells of ``bands``' rows."""
    return set(zip(bands.column("segment").to_pylist(), bands.column("size_band").to_pylist(),
                   strict=True))  # fmt: skip


def cells(con: Any, query: ws.WhitespaceQuery, pipeline: pa.Table) -> pa.Table:
    """``whitespace.cells`` as an Arrow table: the grid of each wanted account."""
    tables = _derived(con, query)
    if tables is None:
        return _by_expressions(con, ws.cells(con, query, pipeline))
    mine = tables.rows("bought", query.customer_ids)
    empty = ws.wallet_table([])
    with _registered(con, pipeline=pipeline, wallets=empty, mine=mine) as inputs:
        names = inputs.names
        sql = f"""WITH {inputs.ctes}, {WANTED},
            mine AS (
                SELECT customer_id, category, business_unit, revenue_12m FROM {names["mine"]}),
            open_pipeline AS (
                SELECT * FROM (
                    SELECT customer_id, category, business_unit, sum(value) AS pipeline
                    FROM {names["pipeline"]} GROUP BY 1, 2, 3) AS p
                WHERE p.customer_id IN (SELECT customer_id FROM wanted)),
            units AS (
                SELECT DISTINCT * FROM (
                    SELECT customer_id, business_unit FROM mine
                    UNION ALL SELECT customer_id, business_unit FROM open_pipeline)),
            {_catalogue(names["pipeline"], names["wallets"])},
            grid AS (
                SELECT c.customer_id, c.category, u.business_unit, m.revenue_12m, p.pipeline
                FROM catalogue AS c JOIN units AS u ON c.customer_id = u.customer_id
                LEFT JOIN mine AS m ON c.customer_id = m.customer_id
                  AND c.category = m.category AND u.business_unit = m.business_unit
                LEFT JOIN open_pipeline AS p ON c.customer_id = p.customer_id
                  AND c.category = p.category AND u.business_unit = p.business_unit)
            SELECT customer_id, category, business_unit,
                   coalesce(revenue_12m, 0.0) AS revenue_12m,
                   coalesce(pipeline, 0.0) AS pipeline,
                   CASE WHEN coalesce(revenue_12m, 0.0) > 0 THEN '{ws.CellState.BOUGHT.value}'
                        WHEN coalesce(pipeline, 0.0) > 0 THEN '{ws.CellState.IN_PIPELINE.value}'
                        ELSE '{ws.CellState.OPEN.value}' END AS state
            FROM grid ORDER BY customer_id, category, business_unit"""
        found = _answer(con, sql, _params(tables, query))
    if found is None:
        return _by_expressions(con, ws.cells(con, query, pipeline))
    return found.cast(CELL_SCHEMA)


def peers_of(
    con: Any, query: ws.WhitespaceQuery, wallets: pa.Table, most: int | None = None
) -> pa.Table:
    """``whitespace.peers_of`` as an Arrow table: each wanted account's peers per category;
    with ``most``, only the ``most`` that spend most in each (ties by peer id)."""
    tables = _derived(con, query)
    if tables is None:
        return _most(_by_expressions(con, ws.peers_of(con, query, wallets)), most)
    own_bands = tables.rows("bands", query.customer_ids)
    cells = _cells_of(own_bands)
    top = (
        ""
        if most is None
        else f"""QUALIFY row_number() OVER (
                     PARTITION BY customer_id, category ORDER BY spend DESC, peer_id) <= {most}"""
    )
    inputs = {
        "wallets": wallets,
        "own_bands": own_bands,
        "members": tables.in_cells("members", cells),
        "banded": tables.in_cells("banded", cells),
    }
    with _registered(con, **inputs) as given:
        sql = f"""WITH {given.ctes}, {WANTED}, {_spend(given.names)}, {PEERS}
                  SELECT customer_id, category, peer_id, spend, from_wallet FROM peers {top}"""
        found = _answer(con, sql, {"ids": sorted(set(query.customer_ids))})
    if found is None:
        return _most(_by_expressions(con, ws.peers_of(con, query, wallets)), most)
    return found.cast(PEER_SCHEMA)


def _most(peers: pa.Table, most: int | None) -> pa.Table:
    """The ``most`` peers that spend most per account and category (all with None)."""
    if most is None:
        return peers
    ranked = sorted(peers.to_pylist(), key=lambda p: (-p["spend"], p["peer_id"]))
    seen: dict[tuple[str, str], int] = {}
    kept = []
    for peer in ranked:
        key = (peer["customer_id"], peer["category"])
        seen[key] = seen.get(key, 0) + 1
        if seen[key] <= most:
            kept.append(peer)
    return pa.Table.from_pylist(kept, schema=peers.schema)


def categories(
    con: Any, query: ws.WhitespaceQuery, pipeline: pa.Table, wallets: pa.Table
) -> pa.Table:
    """``whitespace.categories`` as an Arrow table: one row per wanted account and category
    with what it bought, its pipeline, wallet, peer estimate, share and open wallet."""
    tables = _derived(con, query)
    if tables is None or not _one_per_key(wallets):
        return _by_expressions(con, ws.categories(con, query, pipeline, wallets))
    estimated = f"coalesce(peer_count, 0) >= {int(query.min_peers)}"
    bought = "coalesce(bought, 0.0)"
    peer_wallet = f"CASE WHEN {estimated} THEN greatest(peer_median, {bought}) ELSE NULL END"
    wallet = f"coalesce(wallet_entered, {peer_wallet})"
    own_bands = tables.rows("bands", query.customer_ids)
    cells = _cells_of(own_bands)
    wallet_bands = tables.rows("bands", wallets.column("customer_id").to_pylist())
    inputs = {
        "pipeline": pipeline,
        "wallets": wallets,
        "own_bands": own_bands,
        "mine": tables.rows("by_category", query.customer_ids),
        "wallet_bands": wallet_bands,
        "cell_spend": tables.in_cells("cell_spend", cells),
        "touched_banded": _touched(tables, cells, wallets, wallet_bands),
    }
    with _registered(con, **inputs) as given:
        names = given.names
        sql = f"""WITH {given.ctes}, {WANTED},
            {_catalogue(names["pipeline"], names["wallets"])},
            {_estimate(names)},
            mine AS (SELECT customer_id, category, bought FROM {names["mine"]}),
            pipeline_by_category AS (
                SELECT customer_id, category, sum(pipeline) AS pipeline FROM (
                    SELECT customer_id, category, business_unit, sum(value) AS pipeline
                    FROM {names["pipeline"]} GROUP BY 1, 2, 3) GROUP BY 1, 2),
            entered AS (
                SELECT customer_id, category, amount AS wallet_entered FROM {names["wallets"]}),
            answer AS (
                SELECT c.customer_id, c.category, m.bought, p.pipeline, e.wallet_entered,
                       s.peer_median, s.peer_low, s.peer_high, s.peer_count
                FROM catalogue AS c
                LEFT JOIN mine AS m ON c.customer_id = m.customer_id AND c.category = m.category
                LEFT JOIN pipeline_by_category AS p
                  ON c.customer_id = p.customer_id AND c.category = p.category
                LEFT JOIN entered AS e
                  ON c.customer_id = e.customer_id AND c.category = e.category
                LEFT JOIN estimate AS s
                  ON c.customer_id = s.customer_id AND c.category = s.category)
            SELECT customer_id, category, {bought} AS bought,
                   coalesce(pipeline, 0.0) AS pipeline, wallet_entered,
                   CASE WHEN {estimated} THEN peer_median ELSE NULL END AS peer_median,
                   CASE WHEN {estimated} THEN peer_low ELSE NULL END AS peer_low,
                   CASE WHEN {estimated} THEN peer_high ELSE NULL END AS peer_high,
                   coalesce(peer_count, 0) AS peer_count,
                   {wallet} AS wallet,
                   CASE WHEN wallet_entered IS NOT NULL THEN '{ws.WalletSource.ENTERED.value}'
                        WHEN {estimated} THEN '{ws.WalletSource.PEERS.value}'
                        ELSE NULL END AS wallet_source,
                   CASE WHEN {wallet} > 0 THEN {bought} / {wallet} ELSE NULL END
                     AS share_of_wallet,
                   greatest({wallet} - {bought}, 0.0) AS open_wallet,
                   CASE WHEN {bought} > 0 THEN 'up-sell' ELSE 'cross-sell' END AS gap_kind
            FROM answer ORDER BY customer_id, category"""
        found = _answer(con, sql, _params(tables, query))
    if found is None:
        return _by_expressions(con, ws.categories(con, query, pipeline, wallets))
    return found.cast(CATEGORY_SCHEMA)
