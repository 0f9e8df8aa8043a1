import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings

from tests.factories import make_moment


def test_schema_describes_the_read_api(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in [
        "/api/moments/",
        "/api/moments/{id}/",
        "/api/moments/{id}/sigil.svg",
        "/api/moments/{id}/sigil.png",
        "/api/moments/{id}/sdf.png",
    ]:
        assert path in paths


def test_docs_page_is_self_hosted(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    # No internet at run time: the docs page must not pull assets from a CDN.
    assert "cdn.jsdelivr" not in html and "unpkg.com" not in html


@pytest.fixture
def connections_kept_open():
    """Keep the test's database connection across WSGI requests, as Django's test client
    does: the handler would otherwise close it, and the test transaction with it."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.django_db
def test_no_input_makes_a_server_error(connections_kept_open):
    for cycle in range(1, 4):
        make_moment(cycle=cycle)
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 7

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=40,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def no_server_error(case):
            case.call_and_validate(checks=[schemathesis.checks.not_a_server_error])

        no_server_error()


@pytest.mark.django_db
def test_every_answer_matches_the_schema_with_or_without_credentials(
    connections_kept_open, monkeypatch
):
    """Status codes and bodies, reads and writes, as a caller with the control token and
    as one without: the schema says what the API does (refusals included)."""
    monkeypatch.setattr(django_settings, "DREAMS_CONTROL_TOKEN", "schema-test-control-token")
    for cycle in range(1, 4):
        make_moment(cycle=cycle)
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
    checks = [
        schemathesis.checks.not_a_server_error,
        schemathesis.checks.status_code_conformance,
        schemathesis.checks.response_schema_conformance,
    ]
    for operation in [result.ok() for result in schema.get_all_operations()]:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def conforms(case):
            case.call_and_validate(checks=checks)
            case.call_and_validate(
                checks=checks, headers={"Authorization": "Bearer schema-test-control-token"}
            )

        conforms()
