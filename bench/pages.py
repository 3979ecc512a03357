"""Every page a person opens, one request at a time, at the scale of a scored TPC-H install.

    .venv/bin/python bench/load.py --scale 1 --duration 30      # builds the install once
    .venv/bin/python bench/pages.py                              # then: each page, 9 rounds
    .venv/bin/python bench/pages.py --workdir /tmp/kam-load/sf1 --database kam_load --json

It reads the install ``bench/load.py`` builds (its PostgreSQL database ``--database`` and its
data directory under ``--workdir``: TPC-H scored under the default policy, a published
cycle whose key accounts are assigned, mapped and planned, and the people of a KAM
programme) and asks each page through Django's test client with every check on (session,
permissions, the audit middleware, the reader copy of the analytical store), in turns,
``--rounds`` rounds after one warm-up request each:

- the account list (sorted, paged, searched through htmx), an account page, its score;
- the selection (portfolio, score table, a selection cycle, the cycle list, the
  assignment), the sponsor's accounts;
- a plan, the stakeholder map, *My accounts*, an account's whitespace, the manager's
  pipeline, an account's engagement log and timeline;
- the programme page, its KPI board, the account P&L and the portfolio review;
- the JSON API's list routes and one account.

Printed per page: the median wall-clock time and the median CPU time of this process (the
analytical store's threads included) per request, each against the target of 100 ms, the
HTML size against 200 KB, the number of SQL queries, and the median ratio to a baseline
measured in the same round (the password page: the whole middleware stack, no data), so a
busy machine moves the ratio less than the milliseconds. ``--json`` prints the figures and
the load average as one document.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

TARGET_MS = 100.0
TARGET_KB = 200.0
BASELINE = "baseline: password page"


def segment(customer_id: str) -> str:
    """A customer id as kam's URLs carry it (kam/accounts/converters.py)."""
    return quote(customer_id.replace("%", "%25").replace("/", "%2F"), safe="")


def pages_of(facts: dict) -> dict[str, tuple[str, str, dict[str, str]]]:
    """Page name -> (username, path, extra headers): what each role opens."""
    people = facts["people"]
    head = next(p["username"] for p in people if p["role"] == "Head of KAM")
    manager = next(p for p in people if p["role"] == "Key Account Manager" and p["manages"])
    sponsor = next(p["username"] for p in people if p["sponsors"])
    viewer = next(p["username"] for p in people if p["role"] == "Viewer")
    own = sorted(manager["manages"], key=lambda c: c in facts["plans"], reverse=True)[0]
    at, plan, cycle = segment(own), facts["plans"].get(own), facts["cycle"]
    kam = manager["username"]
    htmx = {"HTTP_HX_REQUEST": "true"}
    tokens = {p["username"]: p["token"] for p in people}

    def api(username: str) -> dict[str, str]:
        return {
            "HTTP_ACCEPT": "application/json",
            "HTTP_AUTHORIZATION": f"Bearer {tokens[username]}",
        }

    pages = {
        BASELINE: (kam, "/password/", {}),
        "account list": (viewer, "/accounts/?sort=revenue&dir=desc", {}),
        "account list, page 20": (viewer, "/accounts/?page=20", {}),
        "account search (htmx)": (viewer, "/accounts/?q=Customer%2300001&region=EUROPE", htmx),
        "account page": (kam, f"/accounts/{at}/", {}),
        "account score": (kam, f"/selection/accounts/{at}/", {}),
        "selection": (head, "/selection/", {}),
        "scores (htmx)": (head, "/selection/scores/?key=on&sort=total&page=2", htmx),
        "cycles": (head, "/selection/cycles/", {}),
        "cycle": (head, f"/selection/cycles/{cycle}/", {}),
        "assignment": (head, f"/selection/cycles/{cycle}/assignment/", {}),
        "sponsored": (sponsor, "/selection/sponsored/", {}),
        "stakeholder map": (kam, f"/accounts/{at}/relationships/", {}),
        "my accounts": (kam, "/my-accounts/", {}),
        "my accounts (head)": (head, "/my-accounts/", {}),
        "whitespace": (kam, f"/accounts/{at}/whitespace/", {}),
        "pipeline": (kam, "/pipeline/", {}),
        "engagement log": (kam, f"/accounts/{at}/engagements/", {}),
        "timeline": (kam, f"/accounts/{at}/timeline/", {}),
        "overdue": (head, "/engagement/overdue/", {}),
        "programme": (head, "/program/", {}),
        "programme KPIs": (head, "/program/kpis/", {}),
        "programme P&L": (head, "/program/pnl/", {}),
        "portfolio review": (head, "/program/review/", {}),
        "api: accounts": (head, "/api/accounts?key=true&region=EUROPE", api(head)),
        "api: account": (head, f"/api/accounts/{at}", api(head)),
        "api: scores": (head, "/api/scores?region=EUROPE&limit=50", api(head)),
        "api: designations": (head, "/api/designations?limit=50", api(head)),
        "api: account plans": (kam, f"/api/accounts/{at}/plans", api(kam)),
        "api: contacts": (kam, f"/api/accounts/{at}/contacts", api(kam)),
    }
    if plan is not None:
        pages["plan page"] = (kam, f"/accounts/{at}/plan/{plan}/", {})
        pages["api: plan"] = (kam, f"/api/plans/{plan}", api(kam))
    return pages


def environment(args: argparse.Namespace) -> None:
    """Point Django at the install bench/load.py built (development settings: no HTTPS)."""
    data = args.workdir / "data"
    if not (args.workdir / "facts.json").exists() or not data.exists():
        raise SystemExit(
            f"no install under {args.workdir}: build one with "
            f"`bench/load.py --scale 1 --database {args.database} --workdir {args.workdir}`"
        )
    os.environ.pop("KAM_ENV", None)
    os.environ["KAM_DATA_DIR"] = str(data)
    os.environ["KAM_DATABASE_URL"] = args.postgres.rsplit("/", 1)[0] + f"/{args.database}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "kam.settings"


def measure(args: argparse.Namespace) -> dict:
    """Each page's warm-up answer, then ``args.rounds`` rounds of every page in turn."""
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from kam.people.models import User

    facts = json.loads((args.workdir / "facts.json").read_text())
    pages = pages_of(facts)
    if args.only:
        wanted = [part.strip() for part in args.only.split(",") if part.strip()]
        pages = {k: v for k, v in pages.items() if k == BASELINE or any(w in k for w in wanted)}
    clients = {}
    for username in {user for user, _, _ in pages.values()}:
        clients[username] = Client(HTTP_HOST="localhost")
        clients[username].force_login(User.objects.get(username=username))
    User.objects.filter(username__in=list(clients)).update(must_change_password=False)

    sizes, queries, statuses = {}, {}, {}
    for name, (user, path, headers) in pages.items():
        with CaptureQueriesContext(connection) as captured:
            response = clients[user].get(path, **headers)
        statuses[name], sizes[name], queries[name] = (
            response.status_code,
            len(response.content),
            len(captured),
        )
        if response.status_code != 200:
            print(f"  {name}: {path} answered {response.status_code}", file=sys.stderr)
    wall: dict[str, list[float]] = {name: [] for name in pages}
    cpu: dict[str, list[float]] = {name: [] for name in pages}
    for _ in range(args.rounds):
        for name, (user, path, headers) in pages.items():
            started, used = time.perf_counter(), time.process_time()
            clients[user].get(path, **headers)
            cpu[name].append((time.process_time() - used) * 1000)
            wall[name].append((time.perf_counter() - started) * 1000)
    rows = {}
    for name in pages:
        p50 = statistics.median(wall[name])
        rows[name] = {
            "path": pages[name][1],
            "status": statuses[name],
            "p50_ms": round(p50, 1),
            "cpu_p50_ms": round(statistics.median(cpu[name]), 1),
            "ratio_to_target": round(p50 / TARGET_MS, 2),
            "ratio_to_baseline": round(
                statistics.median(t / b for t, b in zip(wall[name], wall[BASELINE], strict=True)),
                2,
            ),
            "html_kb": round(sizes[name] / 1024, 1),
            "html_ratio_to_target": round(sizes[name] / 1024 / TARGET_KB, 2),
            "queries": queries[name],
        }
    measured = [r for n, r in rows.items() if n != BASELINE]
    return {
        "accounts": facts["accounts"],
        "key_accounts": len(facts["key_accounts"]),
        "rounds": args.rounds,
        "load_average": os.getloadavg(),
        "targets": {"p50_ms": TARGET_MS, "html_kb": TARGET_KB},
        "pages": rows,
        "slowest_p50_ms": max(r["p50_ms"] for r in measured),
        "largest_html_kb": max(r["html_kb"] for r in measured),
        "pages_over_target": sorted(n for n, r in rows.items() if r["p50_ms"] > TARGET_MS),
        "pages_over_size": sorted(n for n, r in rows.items() if r["html_kb"] > TARGET_KB),
    }


def print_figures(result: dict) -> None:
    print(
        f"{result['accounts']:,} accounts, {result['key_accounts']:,} key accounts; "
        f"{result['rounds']} rounds; load average {result['load_average'][0]:.2f}"
    )
    print(
        f"{'page':<24} {'p50 ms':>8} {'/100ms':>7} {'CPU ms':>8} {'x base':>7} "
        f"{'HTML KB':>8} {'/200KB':>7} {'SQL':>4}"
    )
    for name, row in result["pages"].items():
        flag = "" if row["status"] == 200 else f"  (answered {row['status']})"
        print(
            f"{name:<24} {row['p50_ms']:>8.1f} {row['ratio_to_target']:>7.2f} "
            f"{row['cpu_p50_ms']:>8.1f} {row['ratio_to_baseline']:>7.2f} "
            f"{row['html_kb']:>8.1f} {row['html_ratio_to_target']:>7.2f} {row['queries']:>4}{flag}"
        )
    over = ", ".join(result["pages_over_target"]) or "none"
    large = ", ".join(result["pages_over_size"]) or "none"
    print(f"targets: p50 <= {TARGET_MS:.0f} ms (over: {over}); HTML <= {TARGET_KB:.0f} KB "
          f"(over: {large})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/kam-load/sf1"))
    parser.add_argument("--database", default="kam_load")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument(
        "--only",
        default="",
        help="only the pages whose name contains this (or one of these, comma-separated)",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    args.workdir = args.workdir.resolve()
    environment(args)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    result = measure(args)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_figures(result)


if __name__ == "__main__":
    main()
