"""`kam report portfolio --pdf FILE`: the portfolio review for the leadership meeting as a
PDF (the same document as the Download button of /program/review/)."""

from pathlib import Path
from typing import Annotated

import typer

from kam.cli.common import AsUser, Json, acting_user, console, print_json, refusals, setup_django

app = typer.Typer(help="Reports: the portfolio review.")


@app.command("portfolio")
def portfolio(
    pdf: Annotated[Path, typer.Option("--pdf", help="Write the review to this PDF file.")],
    username: AsUser = None,
    as_json: Json = False,
) -> None:
    """Write the portfolio review — Pareto, four-box, tiers, movers, alerts, KPIs against
    target, concentration, measured return — to a PDF file."""
    setup_django()
    from kam.performance.review import portfolio_review, render_review_pdf

    with refusals():
        review = portfolio_review(acting_user(username))
    data = render_review_pdf(review)
    partial = pdf.with_name(pdf.name + ".part")
    partial.write_bytes(data)
    partial.replace(pdf)  # whole or not at all
    figures = {
        "file": str(pdf),
        "bytes": len(data),
        "as_of": review.as_of.isoformat() if review.as_of else None,
        "alerts": review.alerts,
    }
    if as_json:
        print_json(figures)
    else:
        console.print(f"Portfolio review written to {pdf} ({len(data):,} bytes).")
