"""The plan as a document to share: standalone HTML with its print stylesheet, and PDF.

The same template makes both, so what a reader prints from the browser is what the PDF
holds. Charts are inline SVG: WeasyPrint runs no JavaScript.
"""

from django.template.loader import render_to_string
from django.utils.text import slugify

from kam.plans.queries import PlanDocument


def render_plan_html(document: PlanDocument, *, for_print: bool = False) -> str:
    """The plan document as one self-contained HTML page (styles inlined, charts as SVG)."""
    return render_to_string(
        "plans/document.html",
        {"doc": document, "content": document.content, "for_print": for_print},
    )


def render_plan_pdf(document: PlanDocument) -> bytes:
    """The plan document as PDF, laid out by WeasyPrint from the print stylesheet."""
    from weasyprint import HTML  # imported here: loading Pango costs time every page doesn't need

    return HTML(string=render_plan_html(document, for_print=True)).write_pdf()


def file_name(document: PlanDocument, extension: str) -> str:
    """A download name such as ``nordwind-logistics-gmbh-account-plan-2026-06-15.pdf``."""
    version = f"-v{document.version.number}" if document.version else ""
    return (
        f"{slugify(document.account.name)}-account-plan{version}-"
        f"{document.today.isoformat()}.{extension}"
    )
