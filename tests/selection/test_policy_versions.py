"""Policy versions: the default as version 1, edits through the web form, TOML round trips."""

from django.urls import reverse

from kam.analytics.selection.policy import default_policy
from kam.analytics.selection.policy_toml import policy_from_toml
from kam.selection.models import PolicyVersion
from kam.selection.services import do_ensure_default_policy


def form_data(policy, **changes) -> dict[str, str]:
    data = {
        "name": policy.name,
        "key_account_share": str(policy.key_account_share * 100),
        "quadrant_cut": "" if policy.quadrant_cut is None else str(policy.quadrant_cut),
        "keep_band": str(policy.keep_band * 100),
        "entry_band": str(policy.entry_band * 100),
        "max_churn": str(policy.max_churn * 100),
        "declining_trend": str(policy.declining_trend * 100),
        "min_growth": str(policy.high_potential_rule.min_growth * 100),
        "note": "",
    }
    for c in policy.criteria:
        data[f"weight__{c.key}"] = str(c.weight)
        if c.scale.bounds and c.source.value == "measured":
            data[f"bounds__{c.key}"] = ", ".join(str(b) for b in c.scale.bounds)
    data.update(changes)
    return data


def test_the_default_policy_is_version_1_on_first_use(db):
    first = do_ensure_default_policy()
    again = do_ensure_default_policy()
    assert (first.version, again.pk) == (1, first.pk)
    assert [c.key for c in first.policy().criteria] == [c.key for c in default_policy().criteria]


def test_editing_a_weight_saves_a_new_version_and_keeps_the_old(client, head_of_kam):
    client.force_login(head_of_kam)
    v1 = do_ensure_default_policy()
    data = form_data(v1.policy(), **{"weight__growth": "40", "note": "growth matters more"})
    response = client.post(reverse("selection:policy"), data)
    assert response.status_code == 302
    v2 = PolicyVersion.objects.get(version=2)
    assert v2.policy().criterion("growth").weight == 40
    assert v2.note == "growth matters more"
    assert v2.created_by == head_of_kam
    assert PolicyVersion.objects.get(version=1).policy().criterion("growth").weight == 10

    # The downloaded TOML reads back to the very policy the form saved.
    download = client.get(reverse("selection:policy_download", args=[2]))
    assert download["Content-Disposition"].endswith('kam-policy-v2.toml"')
    assert policy_from_toml(download.content.decode()) == v2.policy()


def test_uploading_the_downloaded_toml_round_trips(client, head_of_kam):
    client.force_login(head_of_kam)
    v1 = do_ensure_default_policy()
    text = client.get(reverse("selection:policy_download", args=[1])).content
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("policy.toml", text, content_type="application/toml")
    response = client.post(reverse("selection:policy_import"), {"file": upload, "note": "back"})
    assert response.status_code == 302
    v2 = PolicyVersion.objects.get(version=2)
    assert v2.policy().criteria == v1.policy().criteria


def test_a_bad_toml_upload_names_the_bad_key(client, head_of_kam):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(head_of_kam)
    text = do_ensure_default_policy().toml.replace("weight = 10.0", 'weight = "lots"', 1)
    upload = SimpleUploadedFile("policy.toml", text.encode())
    response = client.post(reverse("selection:policy_import"), {"file": upload})
    assert response.status_code == 400
    assert "criteria[1].weight" in response.content.decode()
    assert PolicyVersion.objects.count() == 1


def test_the_form_refuses_bad_bounds_and_saves_nothing(client, head_of_kam):
    client.force_login(head_of_kam)
    v1 = do_ensure_default_policy()
    data = form_data(v1.policy(), **{"bounds__tenure": "1825, 1095, 730, 365"})
    response = client.post(reverse("selection:policy"), data)
    assert response.status_code == 400
    assert "4 ascending cut points" in response.content.decode()
    assert PolicyVersion.objects.count() == 1


def test_the_bands_and_flag_lines_are_edited_on_the_policy_page(client, head_of_kam):
    client.force_login(head_of_kam)
    v1 = do_ensure_default_policy()
    page = client.get(reverse("selection:policy")).content.decode()
    assert 'id="policy-bands"' in page
    assert "Keep band (%)" in page
    changes = {"keep_band": "100", "entry_band": "5", "max_churn": "10", "declining_trend": "-20",
               "min_growth": "40"}  # fmt: skip
    response = client.post(reverse("selection:policy"), form_data(v1.policy(), **changes))
    assert response.status_code == 302
    saved = PolicyVersion.objects.get(version=2).policy()
    assert (saved.keep_band, saved.entry_band, saved.max_churn) == (1.0, 0.05, 0.1)
    assert saved.declining_trend == -0.2
    assert saved.high_potential_rule.min_growth == 0.4
    refused = client.post(
        reverse("selection:policy"), form_data(saved, declining_trend="5", revision="2")
    )
    assert refused.status_code == 400
    assert "Ensure this value is less than or equal to 0" in refused.content.decode()
    assert PolicyVersion.objects.count() == 2
