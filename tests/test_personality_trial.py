"""The personality page's "try it": the selected engine thinks or dreams in an unsaved
voice, the page shows what it wrote and its sigil, and nothing at all is stored."""

import json
import re

import pytest
from django.test import Client

from dreams.models import (
    ContinuityThread,
    DreamReview,
    DreamRun,
    MindMoment,
    Percept,
    Personality,
    Session,
)
from dreams.services.seeding import moments_seed
from dreamsite.control import REMOTE_COPY
from engines.prompts import SIGIL_LANGUAGE
from tests.provider_stub import MOMENT_ANSWER, STUB_KEY

pytestmark = pytest.mark.django_db

LIGHTHOUSE = "You are a lighthouse keeper who has watched the same sea for forty years."
STORED = (MindMoment, DreamReview, DreamRun, Personality, Percept, Session, ContinuityThread)


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in STORED}


def voice_form(**changes: str) -> dict[str, str]:
    active = Personality.objects.get(is_active=True)
    form = {
        "name": active.name,
        "cognition_voice": active.cognition_voice,
        "dreaming_voice": active.dreaming_voice,
        "sigil_style": active.sigil_style,
        "notes": "",
        "seen": "A person in a yellow raincoat waves at the window.",
        "heard": "Is anyone in there?",
    }
    return {**form, **changes}


def shown_sigil(html: str) -> list:
    found = re.search(r'<script id="trial-sigil-commands"[^>]*>(.*?)</script>', html)
    assert found, "the trial's sigil commands are not on the page"
    return json.loads(found.group(1))


def test_the_page_starts_from_the_active_voice_with_a_sample_to_try(staff_client):
    html = staff_client.get("/personality/").content.decode()
    assert "You are the inner voice of a machine mind" in html
    assert "yellow raincoat" in html
    assert 'value="try-cognition"' in html and 'value="try-dream"' in html
    assert "Active: <strong><bdi>Default</bdi></strong>, version 1" in html


def test_trying_the_voice_of_cognition_shows_a_moment_and_its_sigil_and_stores_nothing(
    staff_client, settings
):
    moments_seed(count=5, seed=1)
    before = row_counts()
    response = staff_client.post("/personality/", {**voice_form(), "action": "try-cognition"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-trial="cognition"' in html
    assert "Nothing was stored." in html
    assert shown_sigil(html)  # the normalized commands the page draws
    assert re.search(r'data-trial-phrase>[^<]+</figcaption>', html)
    assert row_counts() == before
    assert not (settings.VAR_DIR / "sigil-cache").exists()  # no image rendered either


def test_trying_the_voice_of_dreaming_shows_a_dream_and_stores_nothing(staff_client):
    moments_seed(count=12, seed=2)
    before = row_counts()
    response = staff_client.post("/personality/", {**voice_form(), "action": "try-dream"})
    html = response.content.decode()
    assert 'data-trial="dream"' in html
    assert "A dream of" in html or "A quiet dream" in html
    assert "dreaming over 12 moments" in html
    assert shown_sigil(html)
    assert row_counts() == before


def test_the_trial_sends_the_edited_unsaved_voice_to_the_selected_engine(
    staff_client, openai_stub
):
    before = row_counts()
    response = staff_client.post(
        "/personality/", {**voice_form(cognition_voice=LIGHTHOUSE), "action": "try-cognition"}
    )
    html = response.content.decode()
    assert "The lamp turned once" in html
    assert openai_stub.last_request.system_prompt().startswith(LIGHTHOUSE)
    assert "yellow raincoat" in openai_stub.last_request.user_prompt()
    assert row_counts() == before
    # The edit stays in the form, unsaved, ready to save.
    assert LIGHTHOUSE in html
    assert Personality.objects.get(is_active=True).cognition_voice != LIGHTHOUSE


def test_a_failed_trial_shows_product_copy_never_the_key_the_prompt_or_a_path(
    staff_client, openai_stub
):
    openai_stub.fail_with(401)
    html = staff_client.post(
        "/personality/", {**voice_form(), "action": "try-cognition"}
    ).content.decode()
    assert "The engine refused the credentials" in html
    assert STUB_KEY not in html
    assert SIGIL_LANGUAGE.splitlines()[0] not in html
    assert "/v1" not in html and "site-packages" not in html
    assert "data-trial=" not in html


def test_a_trial_stops_at_the_engines_time_limit(staff_client, openai_stub, engine_env):
    engine_env(DREAMS_OPENAI_TIMEOUT_S="0.5")
    openai_stub.reply_slowly(MOMENT_ANSWER, seconds=5)
    html = staff_client.post(
        "/personality/", {**voice_form(), "action": "try-cognition"}
    ).content.decode()
    assert "The engine took longer than its time limit" in html


def test_a_trial_of_dreaming_with_no_moments_says_what_it_needs(staff_client):
    html = staff_client.post(
        "/personality/", {**voice_form(), "action": "try-dream"}
    ).content.decode()
    assert "There are no moments to dream about yet" in html


def test_a_voice_with_a_control_character_is_refused_before_any_engine_is_asked(
    staff_client, openai_stub
):
    response = staff_client.post(
        "/personality/", {**voice_form(cognition_voice="bell\x07"), "action": "try-cognition"}
    )
    assert response.status_code == 400
    assert "control character" in response.content.decode()
    assert openai_stub.requests == []


def test_saving_from_the_page_writes_a_new_version_and_activating_makes_it_the_voice(
    staff_client,
):
    response = staff_client.post(
        "/personality/",
        {**voice_form(name="Keeper", cognition_voice=LIGHTHOUSE), "action": "save"},
        follow=True,
    )
    assert "Saved as version 2. It is not active yet." in response.content.decode()
    keeper = Personality.objects.get(version=2)
    assert (keeper.name, keeper.cognition_voice, keeper.created_by) == (
        "Keeper",
        LIGHTHOUSE,
        "operator",
    )
    response = staff_client.post(f"/personality/{keeper.pk}/activate/", follow=True)
    assert "Version 2 is now the active personality." in response.content.decode()
    assert Personality.objects.get(is_active=True) == keeper


def test_the_page_is_for_staff_and_its_writes_follow_the_control_rule(django_user_model):
    assert Client().get("/personality/").status_code == 302  # to the login
    far = django_user_model.objects.create_superuser(username="far", password="x")
    remote = Client(REMOTE_ADDR="203.0.113.9")
    remote.force_login(far)
    page = remote.get("/personality/").content.decode()
    assert REMOTE_COPY in page
    assert "<fieldset class=\"personality-layout\" disabled>" in page
    for action in ("try-cognition", "save"):
        response = remote.post("/personality/", {**voice_form(), "action": action})
        assert response.status_code == 403
    assert remote.post(f"/personality/{Personality.objects.get().pk}/activate/").status_code == 403
    assert Personality.objects.count() == 1
