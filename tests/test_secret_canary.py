"""A secret set in the environment never reaches a response, a page, a log record or an
error shown to users, even when a provider quotes it back."""

import io
import json
import logging

import pytest
from django.core.management import call_command

from engines.selection import engine_select
from engines.services import engine_probe
from tests.conftest import CANARY_SECRET
from tests.stub_servers import StubServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider_quoting_the_key(engine_env):
    with StubServer() as stub:
        engine_env(
            OPENROUTER_API_KEY=CANARY_SECRET,
            OPENROUTER_BASE_URL=f"{stub.url}/v1",
            ANTHROPIC_API_KEY=CANARY_SECRET,
            ANTHROPIC_BASE_URL=stub.url,
            GEMINI_API_KEY=CANARY_SECRET,
            GEMINI_BASE_URL=stub.url,
        )
        stub.fail_with(401)
        yield stub


def test_canary_is_in_the_environment_during_the_run():
    import os

    assert os.environ["DREAMS_CANARY_SECRET"] == CANARY_SECRET


@pytest.mark.parametrize("engine", ["openrouter", "gemini"])
def test_provider_errors_quoting_the_key_never_surface(
    provider_quoting_the_key, staff_client, caplog, engine
):
    caplog.set_level(logging.DEBUG)
    engine_select(engine=engine, source="api")
    outcome = engine_probe()
    assert not outcome.ok
    assert CANARY_SECRET not in outcome.message
    assert provider_quoting_the_key.last_request.credential() == CANARY_SECRET
    assert CANARY_SECRET not in caplog.text
    for url in ["/api/engines/", "/api/moments/", "/", "/admin/", "/api/schema/"]:
        assert CANARY_SECRET not in staff_client.get(url).content.decode()


def test_engines_command_output_never_shows_the_key(provider_quoting_the_key):
    out, err = io.StringIO(), io.StringIO()
    call_command("engines", stdout=out, stderr=err)
    with pytest.raises(Exception) as probe_error:
        call_command("engines", "probe", "anthropic", stdout=out, stderr=err)
    assert CANARY_SECRET not in out.getvalue() + err.getvalue() + str(probe_error.value)


def test_control_token_is_never_echoed(client, settings):
    settings.DREAMS_CONTROL_TOKEN = CANARY_SECRET
    response = client.put(
        "/api/engines/selection/",
        data=json.dumps({"engine": "offline"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {CANARY_SECRET}x",
    )
    assert response.status_code == 401
    assert CANARY_SECRET not in response.content.decode()
    assert CANARY_SECRET not in json.dumps(client.get("/api/engines/").json())
