"""The health app's forms: a file of NPS / CSAT answers."""

from django import forms

from kam.uploads import ImportFileField


class SatisfactionImportForm(forms.Form):
    """A file of NPS / CSAT answers: one row per answer."""

    file = ImportFileField(
        suffixes=(".csv", ".txt", ".xlsx"),
        what="CSV or Excel",
        help_text="CSV (.csv, .txt) or Excel (.xlsx) with a header line.",
    )
