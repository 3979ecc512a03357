"""The portfolio review: its page, and its PDF from the download and from `kam report
portfolio --pdf` — rendered to an image with pypdfium2 and its text read back."""

import json

import pypdfium2 as pdfium
from django.test import Client
from django.urls import reverse
from typer.testing import CliRunner

from kam.cli import app


def _text(pdf: bytes) -> str:
    document = pdfium.PdfDocument(pdf)
    pages = [document[i] for i in range(len(document))]
    image = pages[0].render(scale=1).to_pil()
    assert image.size[0] > 500  # an A4 page drawn
    low, high = image.convert("L").getextrema()
    assert high - low > 100  # something drawn on it
    return "\n".join(page.get_textpage().get_text_range() for page in pages)


def test_the_review_page_and_its_pdf(programme):
    client = Client()
    client.force_login(programme.head)
    page = client.get(reverse("performance:review")).content.decode()
    assert "Download the PDF" in page
    assert "data:image/svg+xml;base64," in page  # the concentration chart as an image
    response = client.get(reverse("performance:review_pdf"))
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="portfolio-review-2026-06-20.pdf"' in response["Content-Disposition"]
    text = _text(response.content)
    for words in ("Portfolio review", "Top alerts", "KPIs against target", "Revenue growth",
                  "Concentration", "Measured return", "Did share of wallet grow?"):  # fmt: skip
        assert words in text
    assert "The largest customer holds" in text  # the concentration alert


def test_kam_report_portfolio_writes_the_pdf(programme, tmp_path):
    target = tmp_path / "review.pdf"
    result = CliRunner().invoke(
        app, ["report", "portfolio", "--pdf", str(target), "--as", "viewer", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["file"] == str(target)
    text = _text(target.read_bytes())
    assert "Portfolio review" in text
    assert "Profitability" not in text  # a Viewer's review holds no margin


def _health_run(policy, as_of, scores: dict):
    from kam.health.models import HealthRun, HealthScore

    run = HealthRun.objects.create(policy=policy, as_of=as_of, accounts=len(scores))
    HealthScore.objects.bulk_create(
        HealthScore(run=run, account_id=cid, score=score, weight_present=1.0, components=[])
        for cid, score in scores.items()
    )
    return run


def test_the_review_shows_the_key_accounts_health_with_missing_scores_apart(programme):
    from datetime import date

    from kam.health.services import do_ensure_health_policy
    from kam.performance.health_mix import key_account_health
    from kam.performance.queries import key_accounts

    client = Client()
    client.force_login(programme.head)
    assert "No health scoring run yet" in client.get(reverse("performance:review")).content.decode()

    keys = [key.account_id for key in key_accounts()]
    policy = do_ensure_health_policy()
    _health_run(policy, date(2026, 3, 31), dict.fromkeys(keys, 70.0))
    # The latest run: one key account without a measured component, one not scored at all.
    latest = {cid: 90.0 - 8 * i for i, cid in enumerate(keys[:-1])}
    latest[keys[0]] = None
    _health_run(policy, date(2026, 6, 20), latest)

    found = key_account_health(programme.head, key_accounts())
    assert found.now.missing == 2  # None and unscored: missing, not 0
    assert found.now.counts[0] == sum(1 for s in latest.values() if s is not None and s < 20)
    assert found.before.counts[3] == len(keys)  # every key account 70 in the run before
    page = client.get(reverse("performance:review")).content.decode()
    section = page[page.index('id="rv-health"') : page.index('id="rv-kpis"')]
    assert '<td>No score</td><td class="num">2</td><td class="num">0</td>' in section
    text = _text(client.get(reverse("performance:review_pdf")).content)
    assert "Health of the key accounts" in text
    assert "No score" in text
