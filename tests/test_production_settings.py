"""KAM_ENV=production: `manage.py check --deploy` clean, secrets only from the environment,
and a Content-Security-Policy on every page that still lets kam's own scripts run."""

import os
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[1]


def manage(tmp_path, *args, **env):
    clean = {key: value for key, value in os.environ.items() if not key.startswith("KAM_")}
    clean.update({"KAM_DATA_DIR": str(tmp_path), **env})
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


PRODUCTION = {
    "KAM_ENV": "production",
    "KAM_SECRET_KEY": secrets.token_urlsafe(50),
    "KAM_DATABASE_URL": "postgres://postgres@127.0.0.1:5432/kam",
}


def test_check_deploy_is_clean_in_production(tmp_path):
    checked = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert checked.returncode == 0, checked.stderr
    assert "System check identified no issues" in checked.stdout


def settings_under(monkeypatch, tmp_path, **env):
    """kam/settings.py run afresh under ``env`` (KAM_* variables only), in this process."""
    for key in [key for key in os.environ if key.startswith("KAM_")]:
        monkeypatch.delenv(key)
    for key, value in {"KAM_DATA_DIR": str(tmp_path), **env}.items():
        monkeypatch.setenv(key, value)
    return runpy.run_path(str(ROOT / "kam" / "settings.py"))


@pytest.mark.parametrize(
    ("missing", "said"),
    [
        ("KAM_SECRET_KEY", "KAM_ENV=production needs KAM_SECRET_KEY"),
        ("KAM_DATABASE_URL", "KAM_ENV=production needs KAM_DATABASE_URL"),
    ],
)
def test_production_refuses_to_start_without_its_secrets(monkeypatch, tmp_path, missing, said):
    env = {key: value for key, value in PRODUCTION.items() if key != missing}
    with pytest.raises(ImproperlyConfigured, match=said):
        settings_under(monkeypatch, tmp_path, **env)
    assert not (tmp_path / "secret_key").exists()  # no key written beside the data


def test_production_takes_its_key_from_the_environment(monkeypatch, tmp_path):
    loaded = settings_under(monkeypatch, tmp_path, **PRODUCTION)
    assert loaded["SECRET_KEY"] == PRODUCTION["KAM_SECRET_KEY"]
    assert loaded["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert loaded["SESSION_COOKIE_SECURE"]
    assert loaded["CSRF_COOKIE_SECURE"]
    assert loaded["BEHIND_PROXY"]


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({**PRODUCTION, "KAM_DEBUG": "1"}, "not in production"),
        ({"KAM_ENV": "prod"}, "KAM_ENV is 'prod'"),
    ],
)
def test_a_dangerous_or_unknown_environment_is_refused(monkeypatch, tmp_path, env, said):
    with pytest.raises(ImproperlyConfigured, match=said):
        settings_under(monkeypatch, tmp_path, **env)


@pytest.mark.parametrize(
    ("variable", "value", "backend"),
    [
        ("KAM_EMAIL_HOST", "smtp.example.com", "django.core.mail.backends.smtp.EmailBackend"),
        ("KAM_EMAIL_FILE_DIR", "/tmp/kam-mail", "django.core.mail.backends.filebased.EmailBackend"),
        ("KAM_LOG_LEVEL", "WARNING", "django.core.mail.backends.console.EmailBackend"),
    ],
)
def test_reset_mail_goes_by_smtp_only_when_configured(
    monkeypatch, tmp_path, variable, value, backend
):
    assert settings_under(monkeypatch, tmp_path, **{variable: value})["EMAIL_BACKEND"] == backend


def test_every_page_sends_the_content_security_policy(client, viewer, store):
    client.force_login(viewer)
    for response in (client.get(reverse("accounts:list")), client.get(reverse("login"))):
        policy = response["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
        assert directives["default-src"] == "'self'"
        assert "'unsafe-inline'" not in directives["script-src"]
        assert "'unsafe-eval'" not in directives["script-src"]
        assert directives["object-src"] == "'none'"
        assert directives["frame-ancestors"] == "'none'"


def test_the_analytical_store_takes_its_memory_from_the_environment(monkeypatch, tmp_path):
    assert settings_under(monkeypatch, tmp_path)["ANALYTICS_MEMORY"] == "4GB"
    loaded = settings_under(monkeypatch, tmp_path, KAM_ANALYTICS_MEMORY="16GB")
    assert loaded["ANALYTICS_MEMORY"] == "16GB"
    with pytest.raises(ImproperlyConfigured, match="KAM_ANALYTICS_MEMORY is 'lots'"):
        settings_under(monkeypatch, tmp_path, KAM_ANALYTICS_MEMORY="lots")


def test_the_store_opens_with_the_configured_memory(settings, tmp_path):
    from kam.stores import analytics_store, embedded_store

    settings.ANALYTICS_URL = f"duckdb://{tmp_path / 'analytics.duckdb'}"
    settings.ANALYTICS_MEMORY = "768MB"
    for store in (analytics_store(), embedded_store()):
        assert store.memory_limit == "768MB"
        with store.connect() as backend:
            limit = backend.con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
        assert limit == "732.4 MiB"  # DuckDB says it in MiB: 768,000,000 bytes
