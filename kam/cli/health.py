"""`kam health score|backtest|fit|decide`: account health scoring runs, the backtest of the
score against what happened (beside two baselines), learned weights proposed as a new
policy version, and the Head of KAM's decision on it (docs/health.md)."""

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from kam.cli.common import (
    AsOf,
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
from kam.cli.data import print_refusal, print_report, report_figures

app = typer.Typer(help="Account health: scores, the backtest, learned weights.")

Horizon = Annotated[
    int, typer.Option("--horizon", min=1, max=36, help="Months after the as-of date to judge.")
]


def _figure(value: Any, spec: str = ".3f") -> str:
    return "—" if value is None or value != value else format(value, spec)


def _print_backtest(figures: dict[str, Any], title: str) -> None:
    console.print(
        f"{title}: {figures['accounts']:,} accounts scored as of {figures['as_of']}; "
        f"in the next {figures['horizon_months']} months {figures['defected']:,} defected and "
        f"{figures['shrank']:,} more shrank (base rate {figures['base_rate']:.1%})."
    )
    table = Table(title="How well each score ranks the bad outcomes")
    for name in ("score", "ROC AUC", "precision, worst 10%", "lift, worst 10%"):
        table.add_column(name, justify="left" if name == "score" else "right")
    labels = {
        "health": "health",
        "revenue_trend": "revenue trend alone",
        "recency": "recency alone",
    }
    for key, label in labels.items():
        table.add_row(
            label,
            _figure(figures["auc"][key]),
            _figure(figures["precision_worst_decile"][key], ".1%"),
            _figure(figures["lift_worst_decile"][key], ".2f"),
        )
    console.print(table)
    for key, paired in figures.get("paired_bootstrap", {}).items():
        baseline = labels[key.removeprefix("health_minus_")]
        console.print(
            f"Health less {baseline}: {_figure(paired['difference'], '+.4f')} AUC (95% interval "
            f"{_figure(paired['low'], '+.4f')} to {_figure(paired['high'], '+.4f')}, "
            f"{paired['resamples']} paired resamples of the accounts)."
        )
    bands = Table(title="Calibration: bad outcomes by health band")
    for name in ("health", "accounts", "bad", "bad rate"):
        bands.add_column(name, justify="right")
    for band in figures["calibration"]:
        bands.add_row(
            band["band"],
            f"{band['accounts']:,}",
            f"{band['bad']:,}",
            _figure(band["bad_rate"], ".1%"),
        )
    console.print(bands)


def import_satisfaction(
    file: Annotated[Path, typer.Argument(help="A CSV (.csv, .txt) or Excel (.xlsx) file.")],
    username: AsUser = None,
    as_json: Json = False,
) -> None:
    """Import NPS / CSAT answers: customer_id, date, survey (nps or csat), score, and
    optionally respondent, comment, reference (docs/health.md)."""
    setup_django()
    from django.utils import timezone

    from kam.analytics.ingest import ImportRefused
    from kam.health.services import do_import_satisfaction

    if not file.exists():
        fail(f"[red]No such file:[/] {file}", 2)
    user = acting_user(username)
    try:
        with refusals(), progress("Importing satisfaction answers") as update:
            report = do_import_satisfaction(user, file, today=timezone.localdate(), progress=update)
    except ImportRefused as refused:
        print_refusal(refused, None, as_json)
        raise typer.Exit(1) from None
    if as_json:
        print_json(report_figures(report))
    else:
        print_report(report)


@app.command()
def score(as_of: AsOf = None, username: AsUser = None, as_json: Json = False) -> None:
    """Score every account active in the last year; each score joins its history."""
    setup_django()
    from kam.health.services import HealthError, do_score_health

    user = acting_user(username)
    with refusals(HealthError):
        run = do_score_health(user, as_of)
    figures = {
        "run": run.pk,
        "as_of": run.as_of.isoformat(),
        "policy_version": run.policy.version,
        "accounts": run.accounts,
        "alive_model": run.alive_model or None,
        "alive_note": run.alive_note,
    }
    if as_json:
        print_json(figures)
        return
    console.print(
        f"Health run {run.pk}: {run.accounts:,} accounts scored as of {run.as_of} "
        f"(policy v{run.policy.version}; P(alive) from {run.alive_model or 'no model'})."
    )
    if run.alive_note:
        console.print(run.alive_note, markup=False)


@app.command()
def backtest(
    as_of: Annotated[
        str, typer.Option("--as-of", metavar="YYYY-MM-DD", help="Score as of this date.")
    ],
    horizon: Horizon = 12,
    policy_version: Annotated[
        int | None,
        typer.Option("--policy-version", help="Backtest this version (default: the one in force)."),
    ] = None,
    username: AsUser = None,
    as_json: Json = False,
) -> None:
    """Score as of a past date from data before it, and measure against what followed."""
    from kam.cli.common import parse_as_of

    day = parse_as_of(as_of)
    setup_django()
    from kam.analytics.health.backtest import BacktestUnavailable
    from kam.health import queries
    from kam.health.models import HealthPolicyVersion

    user = acting_user(username)
    chosen = None
    if policy_version is not None:
        found = HealthPolicyVersion.objects.filter(version=policy_version).first()
        if found is None:
            fail(f"[red]No health policy version {policy_version}.[/]", 2)
        chosen = queries.policy_of(found)
    with refusals(BacktestUnavailable):
        result = queries.backtest(user, day, horizon, chosen)
    figures = result.as_dict()
    if as_json:
        print_json(figures)
        return
    _print_backtest(figures, f"Health policy v{figures['policy_version']}")


@app.command()
def fit(
    horizon: Horizon = 12,
    validation_as_of: AsOf = None,
    penalty: Annotated[float, typer.Option("--penalty", min=0.0, help="L2 penalty.")] = 1.0,
    objective: Annotated[
        str,
        typer.Option(
            "--objective",
            help="likelihood (logistic regression; the default) or ranking (pairwise, an AUC "
            "surrogate).",
        ),
    ] = "likelihood",
    username: AsUser = None,
    as_json: Json = False,
) -> None:
    """Learn the weights on history and propose them as a new policy version."""
    setup_django()
    from kam.health.services import HealthError, do_fit_health_policy

    user = acting_user(username)
    with refusals(HealthError):
        proposal = do_fit_health_policy(user, horizon, validation_as_of, penalty, objective)
    comparison = proposal.comparison
    if as_json:
        print_json(
            {
                "version": proposal.version.version,
                "status": proposal.version.status,
                "weights": proposal.version.rules["weights"],
                **comparison,
            }
        )
        return
    console.print(f"Proposed health policy v{proposal.version.version}: {proposal.version.note}")
    weights = Table(title="Weights")
    weights.add_column("component")
    weights.add_column("in force", justify="right")
    weights.add_column("proposed", justify="right")
    from kam.health.queries import current_policy

    now = current_policy().policy
    for key, value in proposal.version.rules["weights"].items():
        weights.add_row(key, f"{now.weight(key):g}", f"{value:g}")
    console.print(weights)
    _print_backtest(comparison["current"], "In force, on the validation date")
    _print_backtest(comparison["proposed"], "Proposed, on the validation date")
    console.print(
        f"Accept or reject: kam health decide {proposal.version.version} --accept|--reject"
    )


@app.command()
def decide(
    version: Annotated[int, typer.Argument(help="The proposed version number.")],
    accept: Annotated[bool, typer.Option("--accept/--reject", help="Accept or reject it.")],
    reason: Annotated[str, typer.Option("--reason", help="Why.")] = "",
    username: AsUser = None,
    as_json: Json = False,
) -> None:
    """Accept (bring into force) or reject a proposed health policy version."""
    setup_django()
    from kam.health.models import HealthPolicyVersion
    from kam.health.services import HealthError, do_decide_health_policy

    user = acting_user(username)
    found = HealthPolicyVersion.objects.filter(version=version).first()
    if found is None:
        fail(f"[red]No health policy version {version}.[/]", 2)
    with refusals(HealthError):
        decided = do_decide_health_policy(user, found, accept=accept, reason=reason)
    if as_json:
        print_json({"version": decided.version, "status": decided.status})
        return
    console.print(f"Health policy v{decided.version} {decided.status}.")


@app.command()
def digest(
    site_url: Annotated[
        str, typer.Option("--site-url", help="Prefix of the links, e.g. https://kam.example.com")
    ] = "",
    username: AsUser = None,
    as_json: Json = False,
) -> None:
    """Email each key account manager the alerts of their accounts (run it daily)."""
    setup_django()
    from kam.health.services import do_send_health_digests

    user = acting_user(username)
    with refusals():
        sent = do_send_health_digests(user, site_url.rstrip("/"))
    rows = [
        {"manager": d.manager, "email": d.email, "accounts": d.accounts, "alerts": d.alerts}
        for d in sent
    ]
    if as_json:
        print_json({"sent": rows})
        return
    if not rows:
        console.print(
            "No digest sent: no manager with an email address has an account with an alert."
        )
        return
    table = Table(title=f"{len(rows)} digest(s) sent")
    for name in ("manager", "email", "accounts", "alerts"):
        table.add_column(name, justify="right" if name in ("accounts", "alerts") else "left")
    for d in sent:
        table.add_row(d.manager, d.email, str(d.accounts), str(d.alerts))
    console.print(table)
