"""Importing contacts from CSV: all or nothing, every bad cell named by line and column."""

from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied

from kam.relationships.contact_import import ContactImportRefused, ImportIssue
from kam.relationships.models import Contact
from kam.relationships.services import do_add_contact, do_import_contacts

pytestmark = pytest.mark.django_db

GOOD = """\
name,title,function,level,buying_roles,influence,attitude,reports_to,last_contact_date,email,phone
Anna Berg,CEO,Management,executive,decision maker,5,positive,,2026-05-02,anna.berg@nordwind.example,
Jan Vos,CPO,Procurement,senior,budget holder; gatekeeper,4,,anna.berg@nordwind.example,,jan@nw.ex,
Mia Lund,Buyer,Procurement,Middle management,user;champion,2,strongly positive,Jan Vos,2026-06-01,,
Noah Sato,Planner,Operations,operational,,,-1,Mia Lund,,,
"""


def write(tmp_path: Path, text: str, name: str = "contacts.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_maps_people_and_their_reporting_lines(kam_user, account, tmp_path) -> None:
    report = do_import_contacts(kam_user, account, write(tmp_path, GOOD))
    assert (report.created, report.updated, report.unchanged, report.issues) == (4, 0, 0, ())
    people = {c.name: c for c in Contact.objects.filter(account=account)}
    assert people["Jan Vos"].reports_to == people["Anna Berg"]
    assert people["Mia Lund"].reports_to == people["Jan Vos"]
    assert people["Noah Sato"].reports_to == people["Mia Lund"]
    assert people["Jan Vos"].buying_roles == ["budget_holder", "gatekeeper"]
    assert people["Mia Lund"].level == "middle_management"
    assert people["Mia Lund"].attitude == 2
    assert people["Noah Sato"].attitude == -1
    assert people["Noah Sato"].influence == 3  # the documented default
    assert str(people["Anna Berg"].last_contact_date) == "2026-05-02"


def test_importing_the_same_file_again_changes_nothing(kam_user, account, tmp_path) -> None:
    path = write(tmp_path, GOOD)
    do_import_contacts(kam_user, account, path)
    again = do_import_contacts(kam_user, account, path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    assert Contact.objects.count() == 4


def test_a_row_may_report_to_a_contact_already_mapped(kam_user, account, tmp_path) -> None:
    boss = do_add_contact(kam_user, account, name="Greta Moreau", level="executive")
    text = "name,reports_to\nIda Kaya,Greta Moreau\n"
    report = do_import_contacts(kam_user, account, write(tmp_path, text))
    assert report.created == 1
    assert Contact.objects.get(name="Ida Kaya").reports_to == boss


def test_a_changed_row_updates_the_contact(kam_user, account, tmp_path) -> None:
    do_import_contacts(kam_user, account, write(tmp_path, GOOD))
    changed = GOOD.replace("Buyer,Procurement,Middle management", "Lead Buyer,Procurement,senior")
    report = do_import_contacts(kam_user, account, write(tmp_path, changed))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 3)
    assert Contact.objects.get(name="Mia Lund").level == "senior"


BAD = """\
name,level,buying_roles,influence,attitude,reports_to,last_contact_date,email
Anna Berg,executive,decision maker,5,positive,,,anna@nordwind.example
,senior,,3,,,,
Jan Vos,board,kingmaker,9,grumpy,Nobody Known,2026-13-01,not-an-email
Mia Lund,operational,,3,,Ola Loop,,
Ola Loop,operational,,3,,Mia Lund,,
Anna Berg,executive,,3,,,,anna@nordwind.example
"""


def test_a_bad_file_names_every_problem_and_changes_nothing(kam_user, account, tmp_path):
    do_add_contact(kam_user, account, name="Existing Person")
    with pytest.raises(ContactImportRefused) as refused:
        do_import_contacts(kam_user, account, write(tmp_path, BAD), file_label="people.csv")
    report = refused.value.report
    assert report.file == "people.csv"
    assert set(report.issues) >= {
        ImportIssue(3, "name", "empty required value"),
        ImportIssue(
            4, "level", "'board' is not one of Operational, Middle management, Senior, Executive"
        ),
        ImportIssue(4, "buying_roles", "'kingmaker' is not a buying role"),
        ImportIssue(4, "influence", "'9' is not a whole number from 1 to 5"),
        ImportIssue(4, "last_contact_date", "'2026-13-01' is not a YYYY-MM-DD date"),
        ImportIssue(4, "email", "'not-an-email' is not an email address"),
        ImportIssue(4, "reports_to", "no contact 'Nobody Known' in the file or the account"),
        ImportIssue(5, "reports_to", "reporting to 'Ola Loop' closes a loop"),
        ImportIssue(6, "reports_to", "reporting to 'Mia Lund' closes a loop"),
        ImportIssue(7, "email", "same contact as line 2"),
    }
    assert {(i.line, i.column) for i in report.issues} >= {(4, "attitude")}
    assert list(Contact.objects.values_list("name", flat=True)) == ["Existing Person"]


@pytest.mark.parametrize(
    ("text", "issue"),
    [
        ("", ImportIssue(1, "", "the file is empty (a header line is required)")),
        (
            "title\nCEO\n",
            ImportIssue(
                1,
                "name",
                "missing required column name; expected name, title, function, level, "
                "buying_roles, influence, attitude, reports_to, last_contact_date, email, phone",
            ),
        ),
        ("name\n", ImportIssue(2, "", "the file has a header but no contacts")),
    ],
)
def test_files_without_contacts_are_refused(kam_user, account, tmp_path, text, issue) -> None:
    with pytest.raises(ContactImportRefused) as refused:
        do_import_contacts(kam_user, account, write(tmp_path, text))
    assert issue in refused.value.report.issues


def test_an_unknown_column_is_named(kam_user, account, tmp_path) -> None:
    with pytest.raises(ContactImportRefused) as refused:
        do_import_contacts(kam_user, account, write(tmp_path, "name,shoe_size\nAnna,42\n"))
    (issue,) = refused.value.report.issues
    assert (issue.line, issue.column) == (1, "shoe_size")
    assert "unknown column" in issue.reason


def test_an_ambiguous_manager_name_asks_for_the_email(kam_user, account, tmp_path) -> None:
    text = (
        "name,email,reports_to\nAnna Berg,a1@x.example,\nAnna Berg,a2@x.example,\nJan,,Anna Berg\n"
    )
    with pytest.raises(ContactImportRefused) as refused:
        do_import_contacts(kam_user, account, write(tmp_path, text))
    assert refused.value.report.issues == (
        ImportIssue(4, "reports_to", "'Anna Berg' names several contacts; use the email"),
    )


def test_a_file_that_is_not_utf8_is_refused(kam_user, account, tmp_path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("name\nJosé Müller\n".encode("latin-1"))
    with pytest.raises(ContactImportRefused) as refused:
        do_import_contacts(kam_user, account, path)
    assert "not UTF-8" in refused.value.report.issues[0].reason


def test_viewers_may_not_import(viewer, account, tmp_path) -> None:
    with pytest.raises(PermissionDenied):
        do_import_contacts(viewer, account, write(tmp_path, GOOD))
    assert not Contact.objects.exists()


@pytest.mark.parametrize("suffix", [".csv", ".txt"])
def test_a_txt_file_is_read_as_csv(kam_user, account, tmp_path, suffix) -> None:
    report = do_import_contacts(kam_user, account, write(tmp_path, GOOD, f"people{suffix}"))
    assert report.created == 4


def test_a_file_with_a_million_columns_is_refused_at_once(kam_user, account, tmp_path) -> None:
    path = tmp_path / "wide.csv"
    header = ",".join(f"c{i}" for i in range(1_000_000))
    path.write_text(f"name,{header}\nAnna,{',' * 999_999}\n", encoding="utf-8")

    with pytest.raises(ContactImportRefused) as refused:
        do_import_contacts(kam_user, account, path)

    (issue,) = refused.value.report.issues
    assert issue.reason == (
        "the header line is longer than 1 MB: this is not a CSV file kam can import"
    )


def test_a_header_wider_than_a_contacts_file_is_refused(kam_user, account, tmp_path) -> None:
    header = ",".join(f"c{i}" for i in range(500))
    with pytest.raises(ContactImportRefused) as refused:
        do_import_contacts(kam_user, account, write(tmp_path, f"name,{header}\nAnna\n"))
    (issue,) = refused.value.report.issues
    assert issue.reason == "the header has 501 columns; kam reads files of at most 100 columns"


def test_nul_bytes_in_a_cell_are_refused(kam_user, account, tmp_path) -> None:
    path = tmp_path / "nul.csv"
    path.write_bytes(b"name,title\nAnna Berg,CE\x00O\n")
    with pytest.raises(ContactImportRefused) as refused:
        do_import_contacts(kam_user, account, path)
    assert refused.value.report.issues == (
        ImportIssue(2, "title", "contains a NUL byte (is this binary data rather than text?)"),
    )
    assert not Contact.objects.exists()
