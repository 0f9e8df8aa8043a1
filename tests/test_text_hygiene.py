"""Text is checked at every boundary: the API, the admin's forms, engine output and the
legacy config refuse lone surrogates, NUL and control characters with a message naming
the field; rows stored before these checks are repaired and never break a read."""

import importlib
import json

import pytest
from django.apps import apps
from django.db import connection
from pydantic import ValidationError

from dreams.models import MindMoment, Percept
from engines.contracts import MomentDraft
from engines.models import EngineSelection
from engines.selection import legacy_selection
from tests.factories import make_moment, make_percept, make_session
from tests.hostile_text import (
    FORM_HOSTILE_IDS,
    FORM_HOSTILE_VALUES,
    FRIENDLY_TEXT,
    HOSTILE_IDS,
    HOSTILE_VALUES,
)

pytestmark = pytest.mark.django_db

ON_SQLITE = connection.vendor == "sqlite"
DRAWN = "ctx.beginPath(); ctx.arc(50, 50, 20, 0, Math.PI * 2); ctx.stroke();"


@pytest.mark.parametrize("text", HOSTILE_VALUES, ids=HOSTILE_IDS)
def test_the_api_refuses_hostile_text_naming_the_field(staff_client, text):
    response = staff_client.put(
        "/api/engines/selection/",
        {"engine": "offline", "model": f"model {text}"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["model"]
    assert not EngineSelection.objects.filter(model__startswith="model").exists()


@pytest.mark.parametrize("text", HOSTILE_VALUES, ids=HOSTILE_IDS)
def test_the_settings_api_refuses_hostile_text(staff_client, text):
    response = staff_client.patch(
        "/api/settings/", {"time_zone": text}, content_type="application/json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["time_zone"]


@pytest.mark.parametrize("text", FORM_HOSTILE_VALUES, ids=FORM_HOSTILE_IDS)
def test_the_admin_refuses_hostile_text_in_a_change_form(staff_client, text):
    response = staff_client.post(
        "/admin/engines/engineselection/add/", {"engine": "offline", "model": f"model {text}"}
    )
    assert response.status_code == 200  # the form again, with its error
    page = response.content.decode()
    assert "This text contains" in page or "Null characters are not allowed" in page
    assert not EngineSelection.objects.exists()


@pytest.mark.parametrize("text", HOSTILE_VALUES, ids=HOSTILE_IDS)
def test_engine_output_with_hostile_text_is_invalid(text):
    draft = {
        "mind_moment": f"I saw {text}",
        "sigil_phrase": "quiet harbour",
        "sigil_code": DRAWN,
        "circumplex": {"valence": 0.1, "arousal": 0.2},
    }
    with pytest.raises(ValidationError, match="mind_moment"):
        MomentDraft.model_validate(draft)


@pytest.mark.parametrize("text", FRIENDLY_TEXT)
def test_engine_output_in_any_language_is_valid(text):
    draft = MomentDraft.model_validate(
        {
            "mind_moment": text,
            "sigil_phrase": "quiet harbour",
            "sigil_code": DRAWN,
            "circumplex": {"valence": 0.1, "arousal": 0.2},
        }
    )
    assert draft.mind_moment == text.strip()


@pytest.mark.parametrize("text", HOSTILE_VALUES, ids=HOSTILE_IDS)
def test_a_legacy_config_naming_a_hostile_model_keeps_the_engine_only(tmp_path, monkeypatch, text):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"dreamEngine": "openrouter", "openRouterModel": text}))
    monkeypatch.setenv("DREAMS_LEGACY_CONFIG", str(config))
    assert legacy_selection() == ("openrouter", "")


@pytest.mark.skipif(not ON_SQLITE, reason="PostgreSQL's jsonb never stored a lone surrogate")
def test_a_moment_stored_with_a_lone_surrogate_still_reads(client):
    # What a percept accepted before these checks left behind: JSON keeps the escape.
    moment = make_moment(visual_percepts=[{"description": "x \ud800 y"}])
    assert client.get("/api/moments/").status_code == 200
    detail = client.get(f"/api/moments/{moment.pk}/")
    assert detail.status_code == 200
    assert "\\ud800" in detail.content.decode()


@pytest.mark.skipif(not ON_SQLITE, reason="PostgreSQL's jsonb never stored a lone surrogate")
def test_the_repair_migration_replaces_what_the_checks_now_refuse():
    session = make_session()
    moment = make_moment(visual_percepts=[{"description": "x \ud800 y"}], text="bell\x07")
    percept = make_percept(session=session, payload={"description": "a \udfff b", "ok": 1})
    friendly = make_percept(session=session, payload={"description": FRIENDLY_TEXT[1]})
    repair = importlib.import_module("dreams.migrations.0006_round_two").repair_stored_text
    repair(apps, None)
    moment.refresh_from_db()
    assert moment.visual_percepts == [{"description": "x \ufffd y"}]
    assert moment.text == "bell\ufffd"
    assert Percept.objects.get(pk=percept.pk).payload == {"description": "a \ufffd b", "ok": 1}
    assert Percept.objects.get(pk=friendly.pk).payload == {"description": FRIENDLY_TEXT[1]}
    assert MindMoment.objects.count() == 1
