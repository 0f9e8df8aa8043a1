"""Every write endpoint refuses unknown fields and wrongly typed values with 400 and the
field's name: booleans are JSON booleans, numbers JSON numbers, text JSON strings."""

import json

import pytest

from dreams.models import DreamRun, DreamSettings
from engines.models import EngineSelection

pytestmark = pytest.mark.django_db

WRITES = [
    ("put", "/api/engines/selection/", {"engine": "offline"}),
    ("post", "/api/dream/runs/", {}),
    ("patch", "/api/settings/", {}),
]


def send(client, method: str, url: str, body: object):
    return getattr(client, method)(url, body, content_type="application/json")


@pytest.mark.parametrize(("method", "url", "valid"), WRITES)
def test_an_unknown_field_is_refused_by_every_write(staff_client, method, url, valid):
    response = send(staff_client, method, url, {**valid, "colour": "red"})
    assert response.status_code == 400
    assert response.json() == {"colour": ["Unknown field."]}


@pytest.mark.parametrize(("method", "url", "valid"), WRITES)
@pytest.mark.parametrize("body", [["a", "list"], "text", 5, None])
def test_a_body_that_is_not_an_object_is_refused(staff_client, method, url, valid, body):
    response = send(staff_client, method, url, json.dumps(body))
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Send a JSON object."]}


@pytest.mark.parametrize("value", ["yes", "true", 1, 0, None])
def test_allow_not_ready_must_be_a_json_boolean(staff_client, value):
    response = send(
        staff_client,
        "put",
        "/api/engines/selection/",
        {"engine": "ollama", "allow_not_ready": value},
    )
    assert response.status_code == 400
    assert list(response.json()) == ["allow_not_ready"]
    assert not EngineSelection.objects.filter(engine="ollama").exists()


def test_an_engine_id_must_be_a_string(staff_client):
    response = send(staff_client, "put", "/api/engines/selection/", {"engine": 5})
    assert response.status_code == 400
    assert response.json() == {"engine": ["Must be text (a JSON string)."]}


@pytest.mark.parametrize("value", [1, "1", "true"])
def test_force_must_be_a_json_boolean(staff_client, setup_done, value):
    response = send(staff_client, "post", "/api/dream/runs/", {"force": value})
    assert response.status_code == 400
    assert list(response.json()) == ["force"]
    assert not DreamRun.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("interval_hours", "6"), ("interval_hours", True), ("enabled", "false"), ("time_zone", 3)],
)
def test_settings_values_must_have_their_json_type(staff_client, field, value):
    before = DreamSettings.load()
    response = send(staff_client, "patch", "/api/settings/", {field: value})
    assert response.status_code == 400
    assert list(response.json()) == [field]
    after = DreamSettings.objects.get()
    assert getattr(after, field) == getattr(before, field)
