"""Forms of the accounts pages: the portfolio filters, the data import, the account team."""

from typing import Any

from django import forms

from kam.analytics.account_figures import AccountListQuery, AccountSort, AccountStatus
from kam.analytics.ingest.readers import SUFFIXES
from kam.people.models import User
from kam.uploads import ImportFileField

PAGE_SIZE = 25


class AccountFilterForm(forms.Form):
    """Search, filter, sort and page the account list; every field optional, read from GET."""

    q = forms.CharField(required=False, max_length=100, label="Search")
    # Free text rather than choices: the values live in the store, and an unknown one simply
    # matches nothing instead of throwing every other filter away as an invalid form.
    region = forms.CharField(required=False, max_length=64)
    segment = forms.CharField(required=False, max_length=128)
    status = forms.ChoiceField(
        required=False,
        choices=[("", "Any status")] + [(s.value, s.value.title()) for s in AccountStatus],
    )
    sort = forms.ChoiceField(required=False, choices=[(s.value, s.value) for s in AccountSort])
    dir = forms.ChoiceField(required=False, choices=[("asc", "asc"), ("desc", "desc")])
    page = forms.IntegerField(required=False, min_value=1)

    def to_query(self) -> AccountListQuery:
        """The portfolio query the cleaned fields ask for (defaults for any invalid field)."""
        self.is_valid()  # cleaned_data keeps the valid fields even when another one is not
        data = self.cleaned_data
        sort = AccountSort(data.get("sort") or AccountSort.REVENUE)
        direction = data.get("dir") or ("asc" if sort is AccountSort.NAME else "desc")
        return AccountListQuery(
            search=data.get("q") or "",
            region=data.get("region") or "",
            segment=data.get("segment") or "",
            status=AccountStatus(data["status"]) if data.get("status") else None,
            sort=sort,
            descending=direction == "desc",
            page=data.get("page") or 1,
            page_size=PAGE_SIZE,
        )


class ImportForm(forms.Form):
    """Upload a customer master or transaction file, with an optional column mapping."""

    kind = forms.ChoiceField(
        label="What the file holds",
        choices=[("customers", "Customers"), ("transactions", "Transactions")],
        widget=forms.RadioSelect,
        initial="customers",
    )
    file = ImportFileField(
        suffixes=SUFFIXES,
        what="CSV, Parquet or Excel",
        label="File",
        help_text="CSV (.csv or .txt), Parquet or Excel (.xlsx).",
    )
    mapping = forms.CharField(
        label="Column mapping",
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": "date=InvoiceDate\ncustomer_id=Customer No."}
        ),
        help_text=(
            "Only if your headers differ from kam's names: one canonical=header per line; "
            "date_format=%d/%m/%Y for dates that are not YYYY-MM-DD."
        ),
    )

    def clean_mapping(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["mapping"].splitlines()]
        lines = [line for line in lines if line]
        for number, line in enumerate(lines, start=1):
            canonical, sep, header = line.partition("=")
            if not sep or not canonical.strip() or not header.strip():
                raise forms.ValidationError(
                    f"Line {number} {line!r}: write canonical=header, e.g. date=InvoiceDate."
                )
        return lines


class TeamMembersField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.display_name} ({obj.username})"


class TeamForm(forms.Form):
    """Who works an account with its key account manager: any active user."""

    members = TeamMembersField(
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Team members",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["members"]
        assert isinstance(field, TeamMembersField)
        field.queryset = User.objects.filter(is_active=True).order_by("first_name", "username")
