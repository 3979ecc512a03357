"""Load test: many people browsing kam at once, as `make serve-prod` serves it, while data comes in.

    .venv/bin/python bench/load.py                                # SF1, 50 people, 120 s
    .venv/bin/python bench/load.py --scale 0.1 --duration 30      # a quick run
    .venv/bin/python bench/load.py --scale 0.1 --duration 30 --json

1. A PostgreSQL database of its own (``--database``, default kam_load, dropped and created)
   and a fresh data directory, under KAM_ENV=production with a random KAM_SECRET_KEY.
2. TPC-H at ``--scale`` through ``do_load_tpch`` (SF1: 150,000 accounts, 6 M lines; the
   generated files are kept under the work dir, so a rerun skips generating), scored under
   the default policy, a selection cycle published and its key accounts assigned to the
   managers and sponsors, stakeholder maps and account plans for the key accounts
   (kam's demo writers), and a personal API token per person.
3. ``--users`` people (50): Heads of KAM, Key Account Managers (about half) who manage the
   key accounts, Executive Sponsors, Analysts and Viewers.
4. gunicorn as ``make serve-prod`` runs it (``--workers`` 4, 4 threads each), reached on
   127.0.0.1 as the TLS proxy would forward: ``X-Forwarded-Proto: https``.
5. For ``--duration`` seconds every person, in a thread of their own, signs in (CSRF token,
   session cookie) and browses journeys of their role — the account list and its search,
   account pages, the selection pages, plans, stakeholder maps, the JSON API with their
   token — pausing ``--think`` seconds (on average) between pages as a person reads.
   Halfway, ``kam import transactions`` brings in a month of new invoice lines.

Printed per page: requests, p50/p95/max latency, errors (any answer other than 2xx/3xx, or
no answer); then throughput, the load average and the targets (p95 ≤ 150 ms, no errors).
``--json`` prints the same figures. The exit code is 1 when any request failed, 0 otherwise:
latency is reported but not enforced, the machine is shared.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
P95_TARGET_MS = 150.0
START_TIMEOUT_S = 300.0
PASSWORD = "load-" + secrets.token_urlsafe(12)
FIRST_NAMES = ("Anna", "Jonas", "Mia", "Lars", "Sofia", "Mateo", "Emre", "Yuki", "Noah", "Ines")
LAST_NAMES = ("Berg", "Vos", "Lund", "Moreau", "Rossi", "Novak", "Haddad", "Sato", "Silva")
USERNAME_PREFIX = {
    "Head of KAM": "head",
    "Key Account Manager": "kam",
    "Executive Sponsor": "sponsor",
    "Analyst": "analyst",
    "Viewer": "viewer",
}
READS_EVERY_ACCOUNT = ("Head of KAM", "Analyst", "Viewer")
"""Roles that read every account's plans and stakeholders in full (docs/security.md)."""
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def log(message: str) -> None:
    """Progress on standard error, so --json output stays one document."""
    print(message, file=sys.stderr, flush=True)


# ---- the install: database, data, people ---------------------------------------------------


def roles_for(count: int) -> list[str]:
    """The roles of ``count`` people, as a KAM programme of that size has them."""
    heads = max(1, count // 25)
    sponsors = max(1, count // 12)
    analysts = max(1, count // 25)
    managers = max(1, count // 2)
    viewers = max(0, count - heads - sponsors - analysts - managers)
    return (
        ["Head of KAM"] * heads
        + ["Key Account Manager"] * managers
        + ["Executive Sponsor"] * sponsors
        + ["Analyst"] * analysts
        + ["Viewer"] * viewers
    )[:count]


def recreate_database(url: str, name: str) -> None:
    """Drop and create the load test's own database (never the install's ``kam``)."""
    import psycopg

    with psycopg.connect(url, dbname="postgres", autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        con.execute(f'CREATE DATABASE "{name}"')


def analyse_database(url: str) -> None:
    """Gather the planner's statistics, as autovacuum would on a production server.

    This machine's PostgreSQL runs with autovacuum off, so a freshly built install has
    none: the planner then guesses, and a page sorted 150,000 accounts to order a
    hundred links (143 ms a visit on the SF1 install).
    """
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        con.execute("ANALYZE")


def build_install(scale: float, users: int, work: Path, seed: int) -> dict:
    """Child process (Django set up from the environment): load, score, publish, assign, map
    and plan; return what the simulated people need to know (ids, tokens), as JSON."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from kam.accounts.models import Account
    from kam.analytics.store import latest_transaction_date
    from kam.api.services import do_create_token
    from kam.cli.common import setup_database
    from kam.datasets import do_load_tpch
    from kam.people.roles import Role
    from kam.people.services import do_create_user
    from kam.plans.demo import do_load_demo_plans
    from kam.plans.models import AccountPlan
    from kam.plans.services import do_hand_over_plans
    from kam.relationships.demo import do_load_demo_relationships
    from kam.selection import assignment, services
    from kam.selection.models import KeyAccount
    from kam.stores import analytics_store

    setup_database()
    call_command("collectstatic", interactive=False, verbosity=0)
    started = time.perf_counter()
    people = []
    for index, role in enumerate(roles_for(users)):
        username = f"{USERNAME_PREFIX[role]}{index:02d}"
        people.append(
            do_create_user(
                None,
                username,
                password=PASSWORD,
                roles={Role(role)},
                first_name=FIRST_NAMES[index % len(FIRST_NAMES)],
                last_name=LAST_NAMES[index % len(LAST_NAMES)],
                title=role,
            )
        )
    head = next(p for p in people if Role.HEAD_OF_KAM in p.roles())
    loaded = do_load_tpch(head, scale=scale, work_dir=work / "tpch")
    log(f"  loaded {loaded.transactions.rows:,} lines in {time.perf_counter() - started:.0f} s")

    for person in people:
        if Role.EXECUTIVE_SPONSOR in person.roles():
            services.do_set_sponsor_capacity(head, person, 8)
    run = services.do_run_scoring(head, services.do_ensure_default_policy())
    cycle = services.do_create_cycle(head, score_run=run, name=f"Key accounts {run.as_of:%Y}")
    services.do_approve_cycle(head, cycle)
    services.do_publish_cycle(head, cycle)
    proposal = assignment.propose_assignment(head, cycle)
    if proposal.assignment is None:
        raise SystemExit(f"no assignment of the key accounts: {proposal.problem}")
    services.do_apply_assignment(head, cycle, proposal.placements, proposal.sponsor_of)
    log(f"  scored and published in {time.perf_counter() - started:.0f} s")

    keys = list(KeyAccount.objects.select_related("account", "manager", "executive_sponsor"))
    key_accounts = [k.account for k in keys]
    with analytics_store().connect(read_only=True) as con:
        as_of = latest_transaction_date(con)
    do_load_demo_relationships(key_accounts, people, seed, limit=len(key_accounts))
    do_load_demo_plans(key_accounts, people, today=as_of or timezone.localdate(), seed=seed)
    do_hand_over_plans(head, {k.account_id: k.manager for k in keys if k.manager})
    log(f"  mapped and planned {len(keys)} key accounts in {time.perf_counter() - started:.0f} s")

    plans = dict(AccountPlan.objects.values_list("account_id", "id"))
    everyone = list(Account.objects.values_list("customer_id", flat=True))
    sample = random.Random(seed).sample(everyone, min(2000, len(everyone)))
    new_lines = write_new_month(work / "new-month.parquet")
    return {
        "password": PASSWORD,
        "as_of": str(as_of),
        "cycle": cycle.pk,
        "accounts": len(everyone),
        "lines": loaded.transactions.rows,
        "new_lines": new_lines,
        "sample": sample,
        "plans": plans,
        "people": [
            {
                "username": p.username,
                "role": next(iter(p.roles())).value,
                "token": do_create_token(p, name="load test")[1],
                "manages": [k.account_id for k in keys if k.manager_id == p.pk],
                "sponsors": [k.account_id for k in keys if k.executive_sponsor_id == p.pk],
            }
            for p in people
        ],
        "key_accounts": [k.account_id for k in keys],
    }


def write_new_month(path: Path) -> int:
    """A month of invoice lines after the latest one (the last month's, a month on, under new
    invoice ids): what the midway import brings in. Returns the number of lines."""
    from kam.stores import analytics_store

    with analytics_store().connect(read_only=True) as con:
        raw = con.con
        raw.execute(
            f"""COPY (SELECT 'N' || invoice_id AS invoice_id, line_id, customer_id,
                         date + INTERVAL 1 MONTH AS date, product, category, business_unit,
                         quantity, revenue, cost, document_type
                  FROM transactions
                  WHERE date > (SELECT max(date) FROM transactions) - INTERVAL 1 MONTH)
                TO '{path}' (FORMAT parquet)"""
        )
        found = raw.execute(f"SELECT count(*) FROM '{path}'").fetchone()
    return int(found[0]) if found else 0


# ---- the server ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_gunicorn(env: dict[str, str], port: int, workers: int, work: Path) -> subprocess.Popen:
    """gunicorn exactly as ``make serve-prod`` starts it, its log in the work dir."""
    command = [str(BIN / "gunicorn"), "kam.wsgi", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(workers), "--threads", "4", "--timeout", "600"]
    command += ["--forwarded-allow-ips=127.0.0.1", "--access-logfile", str(work / "access.log")]
    logfile = (work / "gunicorn.log").open("w")
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=logfile, stderr=logfile)
    # A worker imports the URL map (every app, Plotly, SciPy) on its first request: seconds
    # of CPU, and minutes on a machine already busy with other work.
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn stopped at start; see {work / 'gunicorn.log'}")
        try:
            status = Browser(port).get("/login/").status
        except OSError:
            status = 0
        if status == 200:
            return server
        time.sleep(0.3)
    server.terminate()
    raise SystemExit(f"gunicorn did not answer /login/ within {START_TIMEOUT_S:.0f} s")


def server_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) used so far by gunicorn's master and its workers: the cost
    of the requests, steadier than their wall-clock time when other jobs share the machine."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # a process that ended while we looked
            continue
        if stat.parent.name == str(pid) or fields[1] == str(pid):
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


# ---- a person at a browser -------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    body: str
    location: str


@dataclass
class Browser:
    """One person's browser: a session cookie jar, requests as the TLS proxy forwards them."""

    port: int
    token: str = ""
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self, method: str, path: str, body: str = "", headers: dict | None = None
    ) -> Answer:
        sent = {
            "Host": f"127.0.0.1:{self.port}",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": "10.0.0.1",
            "User-Agent": "kam-load",
            **(headers or {}),
        }
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        con = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            con.request(method, path, body=body.encode() or None, headers=sent)
            response = con.getresponse()
            text = response.read().decode("utf-8", "replace")
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
            return Answer(response.status, text, response.getheader("Location") or "")
        finally:
            con.close()

    def get(self, path: str, **headers: str) -> Answer:
        return self.request("GET", path, headers=headers)

    def api(self, path: str) -> Answer:
        return self.get(path, Authorization=f"Bearer {self.token}", Accept="application/json")

    def post_form(self, path: str, fields: dict[str, str]) -> Answer:
        return self.request(
            "POST",
            path,
            urlencode(fields),
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": f"https://127.0.0.1:{self.port}",
                "Referer": f"https://127.0.0.1:{self.port}{path}",
            },
        )


def segment(customer_id: str) -> str:
    """A customer id as kam's URLs carry it (kam/accounts/converters.py)."""
    return quote(customer_id.replace("%", "%25").replace("/", "%2F"), safe="")


# ---- what each role does ---------------------------------------------------------------------

Step = tuple[str, Callable[["Browser"], Answer]]


def account_steps(customer_id: str, plans: dict[str, int], full: bool) -> list[Step]:
    """Opening one account: its page, its score, and (where the reader may) plan and map."""
    at = segment(customer_id)
    steps: list[Step] = [
        ("account page", lambda b: b.get(f"/accounts/{at}/")),
        ("account score", lambda b: b.get(f"/selection/accounts/{at}/")),
    ]
    if full and customer_id in plans:
        plan = plans[customer_id]
        steps.append(("plan page", lambda b: b.get(f"/accounts/{at}/plan/{plan}/")))
    if full:
        steps.append(("stakeholder map", lambda b: b.get(f"/accounts/{at}/relationships/")))
    return steps


def journey(person: dict, facts: dict, rng: random.Random) -> list[Step]:
    """One visit of ``person``: a few pages in the order their role would open them."""
    role, plans = person["role"], facts["plans"]
    own = person["manages"] or person["sponsors"]
    keys, sample = facts["key_accounts"], facts["sample"]
    search = rng.choice(("Customer#0000", "1", "42", "Customer#00001", "77"))
    region = rng.choice(("EUROPE", "ASIA", "AMERICA", "AFRICA", "MIDDLE EAST"))
    page = rng.randint(1, 40)
    steps: list[Step] = []
    kind = rng.random()
    if role == "Key Account Manager" and own and kind < 0.6:
        customer = rng.choice(own)
        steps += [("account list", lambda b: b.get("/accounts/?sort=revenue&dir=desc"))]
        steps += account_steps(customer, plans, full=True)
        at = segment(customer)
        steps += [("api: account plans", lambda b: b.api(f"/api/accounts/{at}/plans"))]
        if customer in plans:
            plan = plans[customer]
            steps += [("api: plan", lambda b: b.api(f"/api/plans/{plan}"))]
    elif role == "Executive Sponsor" and own and kind < 0.6:
        steps += [("sponsored", lambda b: b.get("/selection/sponsored/"))]
        steps += account_steps(rng.choice(own), plans, full=True)
    elif role in ("Head of KAM", "Analyst") and kind < 0.6:
        cycle = facts["cycle"]
        steps += [
            ("selection", lambda b: b.get("/selection/")),
            (
                "scores",
                lambda b: b.get(f"/selection/scores/?key=on&sort=total&page={page % 5 + 1}"),
            ),
            ("cycle", lambda b: b.get(f"/selection/cycles/{cycle}/")),
            ("api: designations", lambda b: b.api("/api/designations?limit=50")),
            ("api: scores", lambda b: b.api(f"/api/scores?region={quote(region)}&limit=50")),
        ]
        steps += account_steps(rng.choice(keys), plans, full=True)
    elif kind < 0.85:
        steps += [
            ("account list", lambda b: b.get(f"/accounts/?page={page}")),
            (
                "account search (htmx)",
                lambda b: b.get(
                    f"/accounts/?q={quote(search)}&region={quote(region)}", **{"HX-Request": "true"}
                ),
            ),
        ]
        steps += account_steps(rng.choice(sample), plans, full=False)
        # A manager or a sponsor reads plans and maps in full on their own accounts only.
        steps += account_steps(rng.choice(keys), plans, full=role in READS_EVERY_ACCOUNT)
    else:
        customer = rng.choice(keys)
        steps += [
            ("api: accounts", lambda b: b.api(f"/api/accounts?key=true&region={quote(region)}")),
            ("api: account", lambda b: b.api(f"/api/accounts/{segment(customer)}")),
            ("api: account score", lambda b: b.api(f"/api/scores/{segment(customer)}")),
            ("api: contacts", lambda b: b.api(f"/api/accounts/{segment(customer)}/contacts")),
        ]
    return steps


# ---- measuring -------------------------------------------------------------------------------


@dataclass
class Tally:
    """Every request's latency and outcome, per page, shared by the people's threads."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    during_import: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    importing: threading.Event = field(default_factory=threading.Event)

    def record(self, page: str, seconds: float, outcome: str | None) -> None:
        with self.lock:
            self.latencies[page].append(seconds)
            if outcome is not None:
                self.errors[page][outcome] += 1
            if self.importing.is_set():
                self.during_import["requests"] += 1
                if outcome is not None:
                    self.during_import["errors"] += 1


def timed(
    tally: Tally, page: str, step: Callable[[], Answer], expect: int | None = None
) -> Answer | None:
    """Run one request, recording its latency and whether it failed: no answer, an answer
    other than 2xx/3xx (or than ``expect``), or a redirect to the sign-in page (signed out)."""
    started = time.perf_counter()
    try:
        answer = step()
    except (OSError, http.client.HTTPException) as error:
        tally.record(page, time.perf_counter() - started, type(error).__name__)
        return None
    seconds = time.perf_counter() - started
    outcome = None
    if not 200 <= answer.status < 400 or (expect and answer.status != expect):
        outcome = str(answer.status)
    elif answer.location.startswith(("/login/", "/password/")) and expect is None:
        outcome = f"{answer.status} to {answer.location.split('?')[0]}"
    tally.record(page, seconds, outcome)
    return answer


def sign_in(browser: Browser, tally: Tally, username: str, password: str) -> bool:
    """The sign-in page, then the form with its CSRF token: a 302 means signed in."""
    form = timed(tally, "sign-in page", lambda: browser.get("/login/"))
    found = CSRF_INPUT.search(form.body) if form else None
    if found is None:
        return False
    fields = {"csrfmiddlewaretoken": found.group(1), "username": username, "password": password}
    # The form again (200) is a refused sign-in, 429 a locked one: only the redirect is in.
    answer = timed(tally, "sign in", lambda: browser.post_form("/login/", fields), expect=302)
    return answer is not None and answer.status == 302


def person_at_work(
    person: dict, facts: dict, port: int, stop: float, think: float, ramp: float, tally: Tally
) -> None:
    """One person's session until ``stop``: sign in, then journey after journey."""
    rng = random.Random(person["username"])
    browser = Browser(port, token=person["token"])
    time.sleep(rng.uniform(0, ramp))  # people arrive over the first seconds, not at once
    if not sign_in(browser, tally, person["username"], facts["password"]):
        return
    while time.monotonic() < stop:
        for page, step in journey(person, facts, rng):
            if time.monotonic() >= stop:
                return
            timed(tally, page, partial(step, browser))
            time.sleep(rng.uniform(0.5, 1.5) * think)


def import_midway(env: dict[str, str], path: Path, delay: float, tally: Tally, out: dict) -> None:
    """``kam import transactions`` as the Head of KAM would run it, ``delay`` s into the run."""
    time.sleep(delay)
    started = time.perf_counter()
    tally.importing.set()
    try:
        command = [str(BIN / "kam"), "import", "transactions", str(path), "--json"]
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    finally:
        tally.importing.clear()
    out["seconds"] = time.perf_counter() - started
    out["exit_code"] = done.returncode
    out["report"] = json.loads(done.stdout) if done.returncode == 0 else done.stderr[-2000:]


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of ``values`` (not empty)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def figures(tally: Tally, seconds: float, loads: list[tuple[float, float, float]]) -> dict:
    """The run's figures: per page, overall, the machine's load and the targets."""
    pages = {}
    for page, values in sorted(tally.latencies.items()):
        pages[page] = {
            "requests": len(values),
            "p50_ms": round(statistics.median(values) * 1000, 1),
            "p95_ms": round(percentile(values, 0.95) * 1000, 1),
            "max_ms": round(max(values) * 1000, 1),
            "errors": sum(tally.errors[page].values()),
            "error_kinds": dict(tally.errors[page]),
        }
    every = [v for values in tally.latencies.values() for v in values]
    errors = sum(sum(c.values()) for c in tally.errors.values())
    p95 = percentile(every, 0.95) * 1000 if every else float("nan")
    return {
        "pages": pages,
        "requests": len(every),
        "errors": errors,
        "throughput_rps": round(len(every) / seconds, 1) if seconds else None,
        "p50_ms": round(statistics.median(every) * 1000, 1) if every else None,
        "p95_ms": round(p95, 1) if every else None,
        "during_import": dict(tally.during_import),
        "load_average": {
            "start": loads[0][0],
            "max_1min": max(load[0] for load in loads),
            "end_1min": loads[-1][0],
        },
        "targets": {
            "p95_ms": P95_TARGET_MS,
            "p95_met": bool(every) and p95 <= P95_TARGET_MS,
            "errors": 0,
            "errors_met": errors == 0,
        },
    }


def print_figures(result: dict) -> None:
    setup = result["setup"]
    print(
        f"SF{setup['scale']:g}: {setup['accounts']:,} accounts, {setup['lines']:,} lines, "
        f"{setup['key_accounts']} key accounts; {setup['users']} people, "
        f"{setup['workers']} workers x 4 threads, {setup['duration']:.0f} s, "
        f"think {setup['think']} s"
    )
    print(
        f"{'page':<24} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'errors':>7}"
        f" {'alone ms':>9}"
    )
    for page, row in result["pages"].items():
        kinds = ", ".join(f"{kind} x{n}" for kind, n in row["error_kinds"].items())
        quiet = row.get("alone_p50_ms")
        print(
            f"{page:<24} {row['requests']:>8} {row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f} "
            f"{row['max_ms']:>8.1f} {row['errors']:>7} {quiet if quiet is not None else '':>9}"
            f"  {kinds}"
        )
    load, imported, targets = result["load_average"], result["import"], result["targets"]
    print(
        f"all: {result['requests']:,} requests, {result['throughput_rps']} req/s, "
        f"p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, {result['errors']} errors"
    )
    print(
        f"server CPU: {result['server_cpu_s']} s, {result['server_cpu_ms_per_request']} ms a "
        "request (gunicorn's processes, user + system)"
    )
    during = result["during_import"]
    print(
        f"import of {setup['new_lines']:,} lines: {imported.get('seconds', float('nan')):.1f} s, "
        f"exit {imported.get('exit_code')}; meanwhile {during.get('requests', 0)} requests, "
        f"{during.get('errors', 0)} errors"
    )
    print(
        f"load average: {load['start']:.2f} at the start, {load['max_1min']:.2f} at most, "
        f"{load['end_1min']:.2f} at the end ({os.cpu_count()} CPUs)"
    )
    fast = "met" if targets["p95_met"] else "NOT met"
    clean = "met" if targets["errors_met"] else "NOT met"
    print(f"targets: p95 <= {P95_TARGET_MS:.0f} ms {fast}; 0 errors {clean}")


def alone(facts: dict, port: int, rounds: int = 2) -> dict[str, float]:
    """Each page's median latency with nobody else on the server: one person of each role
    signs in and walks a few journeys, so the figures under load have something to compare
    with on a machine whose other jobs come and go."""
    tally = Tally()
    by_role = {p["role"]: p for p in facts["people"]}
    for person in by_role.values():
        rng = random.Random(f"alone {person['username']}")
        browser = Browser(port, token=person["token"])
        if not sign_in(browser, tally, person["username"], facts["password"]):
            continue
        for _ in range(rounds * 2):
            for page, step in journey(person, facts, rng):
                timed(tally, page, partial(step, browser))
    return {
        page: round(statistics.median(values) * 1000, 1)
        for page, values in sorted(tally.latencies.items())
    }


def run_load(
    args: argparse.Namespace, env: dict[str, str], facts: dict, port: int, server: int
) -> dict:
    """Every person at work for ``--duration`` seconds, the import halfway; the figures."""
    tally = Tally()
    imported: dict = {}
    stop = time.monotonic() + args.duration
    people = [
        threading.Thread(
            target=person_at_work,
            args=(person, facts, port, stop, args.think, args.ramp, tally),
            daemon=True,
        )
        for person in facts["people"]
    ]
    importer = threading.Thread(
        target=import_midway,
        args=(env, args.workdir / "new-month.parquet", args.duration / 2, tally, imported),
        daemon=True,
    )
    loads = [os.getloadavg()]
    cpu = server_cpu_seconds(server)
    started = time.perf_counter()
    for thread in [*people, importer]:
        thread.start()
    while any(t.is_alive() for t in people):
        time.sleep(1)
        loads.append(os.getloadavg())
    seconds = time.perf_counter() - started
    cpu = server_cpu_seconds(server) - cpu
    importer.join()
    result = figures(tally, seconds, loads)
    result["server_cpu_s"] = round(cpu, 1)
    result["server_cpu_ms_per_request"] = (
        round(cpu * 1000 / result["requests"], 1) if result["requests"] else None
    )
    result["import"] = imported
    if imported.get("exit_code") not in (0, None):
        result["errors"] += 1
        result["targets"]["errors_met"] = False
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="TPC-H scale factor")
    parser.add_argument("--users", type=int, default=50, help="people browsing at once")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of browsing")
    parser.add_argument("--think", type=float, default=2.0, help="mean seconds between pages")
    parser.add_argument(
        "--ramp",
        type=float,
        default=None,
        help="seconds over which people "
        "arrive and sign in (default: a quarter of the duration, at most 30 s)",
    )
    parser.add_argument("--database", default="kam_load", help="PostgreSQL database to recreate")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--workdir", type=Path, default=None, help="default /tmp/kam-load/sf<N>")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the database and data of the last run at this scale (its import is in)",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ramp is None:
        args.ramp = min(30.0, args.duration / 4)
    args.workdir = (args.workdir or Path(f"/tmp/kam-load/sf{args.scale:g}")).resolve()
    if args.child:
        facts = build_install(args.scale, args.users, args.workdir, args.seed)
        (args.workdir / "facts.json").write_text(json.dumps(facts))  # the parent reads it
        return

    if args.database in ("kam", "postgres", "template0", "template1"):
        raise SystemExit(f"--database {args.database} is not a load test's own database")
    data = args.workdir / "data"
    facts_file = args.workdir / "facts.json"
    reuse = args.reuse and facts_file.exists() and data.exists()
    if not reuse:
        facts_file.unlink(missing_ok=True)
        shutil.rmtree(data, ignore_errors=True)
        data.mkdir(parents=True)
    database_url = args.postgres.rsplit("/", 1)[0] + f"/{args.database}"
    env = {
        **os.environ,
        "KAM_ENV": "production",
        "KAM_SECRET_KEY": secrets.token_urlsafe(50),
        "KAM_DATABASE_URL": database_url,
        "KAM_DATA_DIR": str(data),
        "KAM_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "KAM_USER": "",
        "DJANGO_SETTINGS_MODULE": "kam.settings",
        "PYTHONPATH": str(ROOT),
    }
    # As `make serve-prod` runs it: compiled modules are kept (see the Makefile).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if reuse:
        log(f"reusing {args.database} and {data} as the last run left them")
        # kam may have gained migrations since: upgrade, as `make serve-prod` would.
        upgrade = [str(BIN / "kam"), "setup"]
        subprocess.run(upgrade, cwd=ROOT, env=env, check=True, stdout=sys.stderr)
    else:
        log(f"setting up {args.database} and {data} (TPC-H SF{args.scale:g}, {args.users} people)")
        recreate_database(args.postgres, args.database)
        command = [sys.executable, __file__, "--child", "--scale", str(args.scale)]
        command += ["--users", str(args.users), "--workdir", str(args.workdir)]
        command += ["--seed", str(args.seed)]
        subprocess.run(command, cwd=ROOT, env=env, check=True)
    analyse_database(database_url)
    facts = json.loads(facts_file.read_text())
    head = next(p["username"] for p in facts["people"] if p["role"] == "Head of KAM")
    env["KAM_USER"] = head

    port = free_port()
    log(f"gunicorn on 127.0.0.1:{port}, {args.workers} workers; {args.duration:.0f} s of browsing")
    server = start_gunicorn(env, port, args.workers, args.workdir)
    try:
        quiet = alone(facts, port)
        result = run_load(args, env, facts, port, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    for page, row in result["pages"].items():
        row["alone_p50_ms"] = quiet.get(page)
    result["setup"] = {
        "scale": args.scale,
        "accounts": facts["accounts"],
        "lines": facts["lines"],
        "new_lines": facts["new_lines"],
        "key_accounts": len(facts["key_accounts"]),
        "users": len(facts["people"]),
        "roles": dict(Counter(p["role"] for p in facts["people"])),
        "workers": args.workers,
        "duration": args.duration,
        "think": args.think,
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_figures(result)
    sys.exit(1 if result["errors"] else 0)


if __name__ == "__main__":
    main()
