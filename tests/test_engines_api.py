import json

import pytest
from django.test import Client

from engines.models import EngineSelection
from engines.selection import selected_engine

pytestmark = pytest.mark.django_db

TOKEN = "control-token-for-tests-123"


@pytest.fixture
def control_token(settings):
    settings.DREAMS_CONTROL_TOKEN = TOKEN
    return TOKEN


def put_selection(client: Client, body: object, **headers: str):
    return client.put(
        "/api/engines/selection/", data=json.dumps(body), content_type="application/json", **headers
    )


def test_anyone_can_read_engines_with_readiness_and_selection(client):
    body = client.get("/api/engines/").json()
    engines = {engine["id"]: engine for engine in body["engines"]}
    assert list(engines)[:2] == ["anthropic", "openai"]
    assert engines["offline"]["ready"] is True
    assert engines["anthropic"]["state"] == "needs_setup"
    assert "ANTHROPIC_API_KEY" in engines["anthropic"]["fix_hint"]
    assert engines["hermes"]["selectable"] is False
    assert body["selection"]["engine"] == "offline"
    assert body["can_write"] is False
    assert "Log in" in body["write_refusal"]


def test_staff_can_select_a_ready_engine(staff_client):
    response = put_selection(staff_client, {"engine": "offline", "model": "builtin"})
    assert response.status_code == 200, response.content
    assert response.json()["selection"]["engine"] == "offline"
    assert response.json()["can_write"] is True
    assert EngineSelection.objects.get().source == "api"


def test_control_token_can_select(client, control_token):
    response = put_selection(client, {"engine": "offline"}, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200


def test_wrong_control_token_is_refused(client, control_token):
    response = put_selection(client, {"engine": "offline"}, HTTP_AUTHORIZATION="Bearer wrong")
    assert response.status_code == 401
    assert TOKEN not in response.content.decode()


def test_anonymous_write_is_refused(client):
    response = put_selection(client, {"engine": "offline"})
    assert response.status_code in (401, 403)
    assert "Log in as staff" in response.json()["detail"]


def test_staff_session_write_needs_csrf(django_user_model):
    user = django_user_model.objects.create_superuser(username="op", password="pw")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = put_selection(client, {"engine": "offline"})
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_remote_clients_are_refused_unless_allowed(staff_client, settings):
    response = put_selection(staff_client, {"engine": "offline"}, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 403
    assert "DREAMS_CONTROL_ALLOW_REMOTE" in response.json()["detail"]
    settings.DREAMS_CONTROL_ALLOW_REMOTE = True
    assert (
        put_selection(staff_client, {"engine": "offline"}, REMOTE_ADDR="203.0.113.9").status_code
        == 200
    )


def test_public_demo_refuses_every_write_with_product_copy(staff_client, settings):
    settings.DREAMS_PUBLIC_DEMO = True
    response = put_selection(staff_client, {"engine": "offline"})
    assert response.status_code == 403
    assert response.json()["detail"] == "This is a public demo: changes are turned off."
    assert staff_client.get("/api/engines/").json()["can_write"] is False


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"engine": "does-not-exist"}, 400, "unknown_engine"),
        ({"engine": "hermes"}, 400, "unsupported_engine"),
        ({"engine": "anthropic"}, 409, "engine_not_ready"),
    ],
)
def test_refused_selection_explains_and_keeps_the_current_one(staff_client, body, status, code):
    selected_engine()
    response = put_selection(staff_client, body)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert selected_engine().engine == "offline"


def test_not_ready_answer_carries_the_fix_hint(staff_client):
    response = put_selection(staff_client, {"engine": "anthropic"})
    assert "ANTHROPIC_API_KEY" in response.json()["fix_hint"]


def test_staff_may_select_a_not_ready_engine_deliberately(staff_client):
    response = put_selection(staff_client, {"engine": "anthropic", "allow_not_ready": True})
    assert response.status_code == 200
    assert response.json()["selection"] == response.json()["selection"] | {
        "engine": "anthropic",
        "ready": False,
    }


@pytest.mark.parametrize(
    "body",
    [{}, {"engine": 5}, {"engine": "offline", "surprise": 1}, ["offline"], {"engine": "x" * 40}],
)
def test_malformed_bodies_get_400_with_a_reason(staff_client, body):
    response = put_selection(staff_client, body)
    assert response.status_code == 400
    assert response.json()


def test_invalid_json_gets_400(staff_client):
    response = staff_client.put(
        "/api/engines/selection/", data="{engine:", content_type="application/json"
    )
    assert response.status_code == 400


def test_oversized_body_gets_413(staff_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = put_selection(staff_client, {"engine": "offline", "model": "m" * 2000})
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]


def test_selection_writes_are_throttled(staff_client, monkeypatch):
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"control": "3/min"})
    codes = [put_selection(staff_client, {"engine": "offline"}).status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200]
    assert codes[3:] == [429, 429]
