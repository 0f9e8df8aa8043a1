"""The observer display and the perceptor as served: the right controls for each visitor,
and nothing secret in the page."""

import re

import pytest
from django.test import Client

from dreamsite.control import PUBLIC_DEMO_COPY, REMOTE_COPY
from tests.factories import make_moment

pytestmark = pytest.mark.django_db

SESSION_TOKEN = "session-token-that-must-stay-out-of-pages"
CONTROL_TOKEN = "control-token-that-must-stay-out-of-pages"


@pytest.fixture(autouse=True)
def tokens(settings):
    settings.DREAMS_SESSION_TOKEN = SESSION_TOKEN
    settings.DREAMS_CONTROL_TOKEN = CONTROL_TOKEN
    settings.DREAMS_PUBLIC_DEMO = False


@pytest.fixture
def visitor_client(django_user_model) -> Client:
    """Logged in, but without staff rights."""
    user = django_user_model.objects.create_user(username="visitor", password="pw-visitor")
    client = Client()
    client.force_login(user)
    return client


def page(client: Client, path: str, **request: str) -> str:
    response = client.get(path, **request)
    assert response.status_code == 200
    html = response.content.decode()
    for secret in (SESSION_TOKEN, CONTROL_TOKEN):
        assert secret not in html
    # No token of any kind travels with the page: the session socket uses the login.
    assert not re.search(r"token=", html)
    return html


def test_the_observer_display_is_full_screen_and_read_only(client):
    html = page(client, "/observe/")
    assert "data-observer" in html
    assert 'class="site-header"' not in html  # no site chrome on a wall display
    assert "Back to the dashboard" in html
    assert "<form" not in html
    assert "dreams/observe.js" in html


def test_an_empty_observer_display_says_so_calmly(client):
    assert "No mind moments yet" in page(client, "/observe/")


def test_the_observer_display_waits_for_the_next_moment_when_there_are_some(client):
    make_moment(cycle=1)
    html = page(client, "/observe/")
    assert "Waiting for the mind's next moment" in html
    assert "No mind moments yet" not in html


def test_the_observer_display_is_the_same_for_staff(staff_client):
    html = page(staff_client, "/observe/")
    assert "data-observer" in html
    assert "<form" not in html


def test_staff_get_the_perceptor_controls(staff_client):
    html = page(staff_client, "/perceive/")
    assert "data-perceptor" in html
    assert "Start session" in html
    assert "Send percept" in html
    assert 'role="slider"' in html
    assert "Log in to perceive" not in html


def test_anonymous_visitors_see_the_perceptor_read_only_with_a_way_to_log_in(client):
    html = page(client, "/perceive/")
    assert "data-perceptor" not in html
    assert "Send percept" not in html
    assert "Log in to perceive" in html
    assert "/admin/login/?next=/perceive/" in html
    assert "data-moments-panel" in html  # the moments still arrive


def test_visitors_without_staff_rights_are_told_what_they_need(visitor_client):
    html = page(visitor_client, "/perceive/")
    assert "data-perceptor" not in html
    assert "needs a staff account" in html


def test_public_demo_shows_no_controls_even_to_staff(settings, staff_client):
    settings.DREAMS_PUBLIC_DEMO = True
    html = page(staff_client, "/perceive/")
    assert "data-perceptor" not in html
    assert "Start session" not in html
    assert "Send percept" not in html
    assert PUBLIC_DEMO_COPY in html
    observer = page(staff_client, "/observe/")
    assert "<form" not in observer


def test_staff_elsewhere_are_told_changes_come_from_the_server_itself(settings, staff_client):
    html = page(staff_client, "/perceive/", REMOTE_ADDR="203.0.113.9")
    assert "data-perceptor" not in html
    assert REMOTE_COPY in html
    settings.DREAMS_CONTROL_ALLOW_REMOTE = True
    assert "data-perceptor" in page(staff_client, "/perceive/", REMOTE_ADDR="203.0.113.9")
