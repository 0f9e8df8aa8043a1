"""Errors with DEBUG off: the site's own short pages with a way back, JSON under /api/, and
a server that refuses to start on settings that would make it unsafe."""

import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.test import Client

from tests.children import child_env
from tests.error_urls import FAULT_DETAIL

# What Django's debug pages show and the site's pages never may.
DEBUG_PAGE_MARKS = ("Traceback", "settings", "SECRET_KEY", "/srv/", "Request Method", "urlconf")


@pytest.fixture(autouse=True)
def debug_off(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.error_urls"


def assert_site_page(response, status: int) -> str:
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert '<a class="brand" href="/">Dreams</a>' in html
    assert "dreams/site.css" in html
    assert '<a class="button button-primary" href="/">Back to the dashboard</a>' in html
    assert FAULT_DETAIL not in html
    for mark in DEBUG_PAGE_MARKS:
        assert mark not in html, mark
    assert str(django_settings.BASE_DIR) not in html
    return html


@pytest.mark.django_db
def test_a_mistyped_url_shows_the_sites_404_page_with_links_back():
    html = assert_site_page(Client().get("/dashbaord/"), 404)
    assert "Nothing lives at this address" in html
    assert 'href="/observe/"' in html
    assert 'href="/api/moments/"' in html


def test_a_404_needs_no_database_for_a_visitor_without_a_session():
    # No django_db mark: any query fails the test (as it would in a database outage).
    assert_site_page(Client().get("/no/such/page/"), 404)


@pytest.mark.django_db
def test_an_api_url_no_view_matches_answers_json_not_found():
    response = Client().get("/api/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_bad_host_header_gets_a_short_400_that_does_not_echo_the_host():
    response = Client().get("/", HTTP_HOST="evil.example")
    html = assert_site_page(response, 400)
    assert "This request could not be answered" in html
    assert "evil.example" not in html
    assert "ALLOWED_HOSTS" not in html
    assert len(response.content) < 3000


@pytest.mark.django_db
def test_a_view_raising_an_exception_shows_the_styled_500_page():
    client = Client(raise_request_exception=False)
    html = assert_site_page(client.get("/test-errors/raises/"), 500)
    assert "Something went wrong on our side" in html
    assert "RuntimeError" not in html


def test_a_database_outage_shows_the_500_page_without_touching_the_database():
    # No django_db mark: the 500 page must render with no query at all.
    client = Client(raise_request_exception=False)
    html = assert_site_page(client.get("/test-errors/database-down/"), 500)
    assert "could not connect" not in html


@pytest.mark.django_db
def test_an_api_view_raising_an_exception_answers_json_without_detail():
    client = Client(raise_request_exception=False)
    response = client.get("/api/test-errors/raises/")
    assert response.status_code == 500
    assert set(response.json()) == {"detail"}
    assert FAULT_DETAIL not in response.content.decode()


@pytest.mark.django_db
def test_a_refused_view_shows_the_styled_403_page_with_a_way_to_log_in():
    html = assert_site_page(Client().get("/test-errors/refuses/"), 403)
    assert "This page is not open to you" in html
    assert 'href="/admin/login/"' in html


@pytest.mark.django_db
def test_a_form_sent_without_its_csrf_token_shows_the_styled_403_page():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/admin/login/", {"username": "admin", "password": "x"})
    html = assert_site_page(response, 403)
    assert "This form could not be accepted" in html
    assert "CSRF verification failed" not in html


def manage_check(tmp_path, **variables: str) -> subprocess.CompletedProcess:
    env = child_env(tmp_path, DEBUG="false", **variables)
    if not variables.get("SECRET_KEY"):
        env.pop("SECRET_KEY")
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_allowed_hosts_with_a_wildcard_refuses_to_start(tmp_path):
    result = manage_check(tmp_path, ALLOWED_HOSTS="*", SECRET_KEY="k" * 60)
    assert result.returncode != 0
    assert "List the host names it serves" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_generated_key_starts_a_single_machine_with_debug_off(tmp_path):
    var_dir = tmp_path / "empty-var"
    result = manage_check(tmp_path, DREAMS_VAR_DIR=str(var_dir))
    assert result.returncode == 0, result.stderr
    key = var_dir / "secret_key"
    assert key.stat().st_mode & 0o777 == 0o600
    assert len(key.read_text()) >= 50


def test_the_generated_key_is_refused_with_a_database_server_and_debug_off(tmp_path):
    var_dir = tmp_path / "empty-var"
    result = manage_check(
        tmp_path,
        DREAMS_VAR_DIR=str(var_dir),
        DATABASE_URL="postgres://dreams@db.internal:5432/dreams",
    )
    assert result.returncode != 0
    assert "Set SECRET_KEY in every server's environment" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (var_dir / "secret_key").exists()
