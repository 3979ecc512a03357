"""Score snapshots: immutable, swapped in atomically, browsable in the engine, crash-safe."""

import dataclasses
import signal
import subprocess
import sys
import textwrap

import pytest
from selection_data import AS_OF

from kam.analytics.selection.policy import default_policy
from kam.analytics.selection.scoring import score_accounts
from kam.analytics.selection.snapshot import (
    SnapshotError,
    SnapshotQuery,
    SnapshotSort,
    current_snapshot,
    list_snapshots,
    snapshot_explanation,
    snapshot_page,
    write_snapshot,
)
from kam.analytics.store import AnalyticsStore


def test_each_run_is_kept_and_the_latest_is_current(writable_con, store):
    con = writable_con
    policy = default_policy()
    first = write_snapshot(con, score_accounts(con, policy, None, AS_OF), "run_1")
    assert current_snapshot(con) == first
    changed = dataclasses.replace(policy, version=2, key_account_share=0.5)
    second = write_snapshot(store, score_accounts(con, changed, None, AS_OF), "run_2")
    assert current_snapshot(con) == second
    assert (first.accounts, first.key_accounts) == (7, 1)  # ceil(15% of 5 with revenue)
    assert (second.policy_version, second.key_accounts) == (2, 3)
    assert [s.snapshot_id for s in list_snapshots(con)] == ["run_2", "run_1"]
    assert not next(s for s in list_snapshots(con) if s.snapshot_id == "run_1").is_current
    assert snapshot_page(con, "run_1", SnapshotQuery(key_only=True)).total == 1


@pytest.mark.parametrize("run_id", ["run_1", "bad id", "x;drop table customers", ""])
def test_snapshots_are_never_overwritten_and_ids_are_checked(writable_con, run_id):
    con = writable_con
    run = score_accounts(con, default_policy(), None, AS_OF)
    write_snapshot(con, run, "run_1")
    with pytest.raises(SnapshotError):
        write_snapshot(con, run, run_id)
    current = current_snapshot(con)
    assert current is not None
    assert current.snapshot_id == "run_1"


@pytest.fixture(scope="module")
def scored(con):
    """The shared portfolio with one snapshot, run_1, for the tests that only read it."""
    write_snapshot(con, score_accounts(con, default_policy(), None, AS_OF), "run_1")
    return con


def test_explanation_of_one_account_in_policy_order(scored):
    con, policy = scored, default_policy()
    rows = snapshot_explanation(con, "run_1", "C1")
    assert [r["criterion_key"] for r in rows] == [c.key for c in policy.criteria]
    by_key = {r["criterion_key"]: r for r in rows}
    assert by_key["revenue_12m"]["raw_value"] == 550
    assert by_key["influence"]["missing"] is True
    page = snapshot_page(con, "run_1", SnapshotQuery(search="alpha"))
    assert sum(r["weighted_points"] or 0 for r in rows) == pytest.approx(page.rows[0]["total"])


@pytest.mark.parametrize(
    ("query", "ids", "total"),
    [
        (SnapshotQuery(search="GMBH"), ["C2"], 1),
        (SnapshotQuery(search="c3"), ["C3"], 1),
        (
            SnapshotQuery(region="EMEA", sort=SnapshotSort.NAME, descending=False),
            ["C1", "C2", "C5"],
            3,
        ),
        (SnapshotQuery(sort=SnapshotSort.REVENUE, page_size=2), ["C1", "C2"], 7),
        (SnapshotQuery(sort=SnapshotSort.REVENUE, page_size=2, page=2), ["C3", "C4"], 7),
        (SnapshotQuery(sort=SnapshotSort.REVENUE, page_size=2, page=99), ["C7"], 7),
        (SnapshotQuery(sort=SnapshotSort.KEY_RANK, descending=False, page_size=6), [], 7),
        # The one key account is the least among the key accounts: Tier 3 by its place.
        (SnapshotQuery(tier="tier_3"), ["C1"], 1),
        (SnapshotQuery(tier="tier_1"), [], 0),
    ],
)  # fmt: skip
def test_browsing_searches_filters_sorts_and_pages_in_the_engine(scored, query, ids, total):
    page = snapshot_page(scored, "run_1", query)
    if query.sort is not SnapshotSort.KEY_RANK:
        assert [r["customer_id"] for r in page.rows] == ids
    else:  # ranks 1..5 then the customers without revenue (NULL ranks sort last)
        assert len(page.rows) == 6
        assert [r["key_rank"] for r in page.rows[:5]] == [1, 2, 3, 4, 5]
    assert page.total == total


CHILD = textwrap.dedent(
    """
    import sys, time
    import ibis
    from kam.analytics.store import AnalyticsStore
    from kam.analytics.selection.features import account_features
    from kam.analytics.selection.policy import default_policy
    from kam.analytics.selection.scoring import score_accounts
    from kam.analytics.selection.snapshot import write_snapshot

    url, pause_at = sys.argv[1], sys.argv[2]

    def pause(name):
        print(name, flush=True)
        if name == pause_at:
            time.sleep(120)  # the parent kills us here, inside the transaction

    started = []

    def passing(value):  # called by the engine for each row it writes into the scores
        if not started:
            started.append(True)
            pause("writing")
        return value

    @ibis.udf.scalar.builtin(name="kam_test_passing")
    def passing_through(value: float) -> float: ...

    store = AnalyticsStore(url, memory_limit="1GB", threads=2)
    with store.connect() as con:
        con.con.create_function("kam_test_passing", passing, ["DOUBLE"], "DOUBLE",
                                side_effects=True)
        features = account_features(con)
        features = features.mutate(revenue_12m=passing_through(features.revenue_12m))
        run = score_accounts(con, default_policy(), features=features)
        write_snapshot(con, run, "run_2", stage=pause)
    print("finished", flush=True)
    """
)
CUSTOMERS = 2400


@pytest.fixture(scope="module")
def killable(tmp_path_factory: pytest.TempPathFactory):
    """A store with 2,400 customers (1,200 buying this year) and one snapshot, run_1.

    Shared by the kill tests: each asserts the kill left it exactly as it was.
    """
    folder = tmp_path_factory.mktemp("kill")
    store = AnalyticsStore(f"duckdb://{folder / 'kill.duckdb'}", memory_limit="1GB", threads=2)
    with store.connect() as con:
        con.con.execute(
            "INSERT INTO customers SELECT 'K' || i, 'Customer ' || i, NULL, 'DE', 'EMEA', 'X' "
            f"FROM range({CUSTOMERS}) t(i)"
        )
        con.con.execute(
            "INSERT INTO customer_month SELECT 'K' || i, DATE '2024-06-01' - INTERVAL (i % 24) "
            "MONTH, 100 + i % 977, 50, 1, 1, 1, DATE '2024-06-05', DATE '2024-06-05' "
            f"FROM range({CUSTOMERS}) t(i)"
        )
        before = write_snapshot(con, score_accounts(con, default_policy()), "run_1")
    script = folder / "child.py"
    script.write_text(CHILD)
    return store, before, script


# "writing": the engine is executing CREATE TABLE … AS for the scores (a pass-through
# function in the query pauses it on the first row); "explanations": the scores table is
# written; "swap": the catalogue row is in, is_current about to flip. All uncommitted.
@pytest.mark.parametrize("kill_at", ["writing", "explanations", "swap"])
def test_a_run_killed_mid_write_leaves_the_previous_snapshot_current(killable, kill_at):
    store, before, script = killable
    child = subprocess.Popen(
        [sys.executable, str(script), store.url, kill_at],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    seen = []
    for line in child.stdout:
        seen.append(line.strip())
        if seen[-1] == kill_at:
            child.send_signal(signal.SIGKILL)
            break
    assert child.wait(timeout=60) == -signal.SIGKILL, (seen, child.stderr and child.stderr.read())
    assert "finished" not in seen
    with store.connect(read_only=True) as con:
        assert current_snapshot(con) == before
        assert [s.snapshot_id for s in list_snapshots(con)] == ["run_1"]
        assert "score_snapshot_run_2" not in con.list_tables()
        page = snapshot_page(con, "run_1", SnapshotQuery(key_only=True, page_size=10))
        assert page.total == before.key_accounts == 180  # 15% of the 1,200 buying this year


def test_a_run_holding_a_value_that_is_not_a_number_is_refused(writable_con):
    import ibis

    run = score_accounts(writable_con, default_policy(), None, AS_OF)
    poisoned = run.scores.mutate(
        total=ibis.ifelse(run.scores.customer_id == "C1", float("nan"), run.scores.total)
    )
    with pytest.raises(SnapshotError, match=r"not numbers \(NaN or infinity\) in total"):
        write_snapshot(writable_con, dataclasses.replace(run, scores=poisoned), "poisoned")
    assert current_snapshot(writable_con) is None  # nothing written, nothing made current
    assert "score_snapshot_poisoned" not in writable_con.list_tables()
