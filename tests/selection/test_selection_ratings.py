"""Ratings: entered per account (history kept, latest counts) and imported from CSV."""

import pytest
from django.urls import reverse

from kam.selection.models import Rating
from kam.selection.queries import latest_ratings
from kam.selection.services import (
    RatingImportRefused,
    SelectionError,
    do_import_ratings,
    do_rate_account,
)


def test_the_latest_rating_counts_and_history_is_kept(portfolio, head_of_kam, kam_user):
    do_rate_account(kam_user, "C001", {"harmony_fit": 2})
    do_rate_account(head_of_kam, "C001", {"harmony_fit": 5, "influence": 3})
    assert Rating.objects.filter(account_id="C001", criterion_key="harmony_fit").count() == 2
    counted = {
        (r["customer_id"], r["criterion_key"]): r["value"] for r in latest_ratings().to_pylist()
    }
    assert counted == {("C001", "harmony_fit"): 5.0, ("C001", "influence"): 3.0}


@pytest.mark.parametrize(
    ("values", "message"),
    [({"harmony_fit": 6}, "1 to 5"), ({"revenue_12m": 3}, "not a rated criterion")],
)
def test_bad_ratings_are_refused(portfolio, kam_user, values, message):
    with pytest.raises(SelectionError, match=message):
        do_rate_account(kam_user, "C001", values)


def ratings_file(tmp_path, text: str, name: str = "ratings.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("suffix", [".csv", ".txt"])
def test_a_good_csv_imports_every_row(portfolio, head_of_kam, kam_user, tmp_path, suffix):
    text = "customer_id,criterion,value,rated_by\nC001,harmony_fit,4,kim\nC002,influence,2,\n"
    assert do_import_ratings(head_of_kam, ratings_file(tmp_path, text, f"r{suffix}")) == 2
    rows = {r.account_id: r for r in Rating.objects.all()}
    assert rows["C001"].rated_by == kam_user
    assert rows["C002"].rated_by == head_of_kam


def test_a_bad_csv_names_every_bad_row_and_imports_nothing(portfolio, head_of_kam, tmp_path):
    text = (
        "customer_id,criterion,value,rated_by\n"
        "C001,harmony_fit,4,\n"
        "NOPE,harmony_fit,4,\n"
        "C002,charm,3,\n"
        "C003,influence,seven,\n"
        "C004,influence,3,ghost\n"
    )
    with pytest.raises(RatingImportRefused) as refused:
        do_import_ratings(head_of_kam, ratings_file(tmp_path, text))
    found = {(p.line, p.column) for p in refused.value.problems}
    assert found == {(3, "customer_id"), (4, "criterion"), (5, "value"), (6, "rated_by")}
    assert Rating.objects.count() == 0


def test_the_import_page_lists_problems(client, portfolio, head_of_kam):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(head_of_kam)
    upload = SimpleUploadedFile("r.csv", b"customer_id,criterion,value\nC001,harmony_fit,9\n")
    response = client.post(reverse("selection:ratings_import"), {"file": upload})
    assert response.status_code == 422
    assert "is not a whole number 1–5" in response.content.decode()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (bytes(range(256)) * 64, "NUL bytes"),
        (b"\x89PNG\r\n\x1a\n" + b"\xff" * 5000, "the header line is not UTF-8 text"),
        (b"customer_id,criterion,value\nC001,harmony_fit,4\nC0\x0002,influence,3\n", "control"),
    ],
    ids=["binary", "png", "nul-in-id"],
)
def test_binary_junk_is_refused_with_a_reason_not_a_server_error(
    client, portfolio, head_of_kam, content, reason
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(head_of_kam)
    upload = SimpleUploadedFile("ratings.csv", content)
    response = client.post(reverse("selection:ratings_import"), {"file": upload})

    assert response.status_code == 422
    assert reason in response.content.decode()
    assert Rating.objects.count() == 0


def test_a_customer_id_with_a_line_break_is_refused(portfolio, head_of_kam, tmp_path):
    text = 'customer_id,criterion,value\n"C001\r\n",harmony_fit,4\n'
    with pytest.raises(RatingImportRefused) as refused:
        do_import_ratings(head_of_kam, ratings_file(tmp_path, text))
    reasons = {(p.line, p.column, p.reason) for p in refused.value.problems}
    assert (2, "customer_id", "an id may not contain a line break, tab or other control "
            "character: 'C001\\r\\n'") in reasons  # fmt: skip


def test_a_file_too_large_for_the_page_is_refused_before_reading(client, portfolio, head_of_kam):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from kam.selection.forms import RATING_FILE_BYTES

    client.force_login(head_of_kam)
    upload = SimpleUploadedFile("r.csv", b"x" * (RATING_FILE_BYTES + 1))
    response = client.post(reverse("selection:ratings_import"), {"file": upload})
    assert response.status_code == 400
    assert "uploads here are limited to 100 MB" in response.content.decode()


def test_ratings_are_entered_on_the_account_page(client, portfolio, kam_user):
    client.force_login(kam_user)
    response = client.post(
        reverse("selection:account", args=["C001"]),
        {"harmony_fit": "4", "influence": "", "note": "met the CPO"},
    )
    assert response.status_code == 302
    rating = Rating.objects.get()
    assert (rating.criterion_key, rating.value, rating.rated_by) == ("harmony_fit", 4, kam_user)
