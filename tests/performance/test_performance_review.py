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
