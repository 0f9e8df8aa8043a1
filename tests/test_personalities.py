"""Personalities: versioned voices, one active, recorded on every moment and dream review;
the fixed contract after every voice; the API, the admin and the pages that show them."""


import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.test import Client

from dreams.models import DreamReview, MindMoment, Personality, Trigger
from dreams.services.cognition import cognize, moment_from_cognition, pending_percepts
from dreams.services.dream_runs import run_dream
from dreams.services.personalities import personality_activate, personality_create
from dreams.services.seeding import moments_seed
from engines.contracts import Voice
from engines.prompts import (
    COGNIZE_CONTRACT,
    COGNIZE_SYSTEM,
    DEFAULT_VOICE,
    SAFETY_RULES,
    SIGIL_LANGUAGE,
    cognize_system,
    dream_system,
)
from tests.factories import make_moment, make_percept, make_session

pytestmark = pytest.mark.django_db
ON_POSTGRES = django_settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
RACERS = 6

TOKEN = "personality-test-control-token"
LIGHTHOUSE = "You are a lighthouse keeper who has watched the same sea for forty years."


def active() -> Personality:
    return Personality.objects.get(is_active=True)


@pytest.fixture
def token(settings) -> dict[str, str]:
    settings.DREAMS_CONTROL_TOKEN = TOKEN
    return {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


def think(description: str) -> MindMoment:
    """One cognitive cycle over one percept, as the conductor runs it."""
    make_percept(session=make_session(), payload={"description": description})
    return moment_from_cognition(cognize(pending_percepts()))


# --- The versions --------------------------------------------------------------------------


def test_a_fresh_install_has_one_active_version_that_speaks_todays_voice():
    default = active()
    assert Personality.objects.count() == 1
    assert (default.version, default.name) == (1, "Default")
    assert default.voice == DEFAULT_VOICE
    assert cognize_system(default.voice) == COGNIZE_SYSTEM
    assert COGNIZE_SYSTEM.startswith(
        "You are the inner voice of a machine mind that perceives a room through its visitors."
    )


def test_the_database_refuses_a_second_active_version():
    personality_create(created_by="operator", name="Second")
    with pytest.raises(IntegrityError), transaction.atomic():
        Personality.objects.update(is_active=True)
    assert Personality.objects.filter(is_active=True).count() == 1


def test_a_new_version_copies_the_active_one_with_the_changes_and_waits_to_be_activated():
    default = active()
    second = personality_create(created_by="operator", cognition_voice=LIGHTHOUSE)
    assert second.version == 2
    assert (second.cognition_voice, second.dreaming_voice) == (LIGHTHOUSE, default.dreaming_voice)
    assert (second.name, second.sigil_style) == (default.name, default.sigil_style)
    assert second.created_by == "operator"
    assert active() == default

    personality_activate(personality=second)
    assert active() == second
    assert not Personality.objects.get(pk=default.pk).is_active


def test_voice_text_is_checked_like_all_text():
    refusals = {
        "cognition_voice": "a bell\x07rings",
        "dreaming_voice": "half a pair \ud800",
        "sigil_style": "x" * 1001,
        "notes": "nul\x00",
    }
    for field, text in refusals.items():
        with pytest.raises(ValidationError) as refused:
            personality_create(created_by="operator", **{field: text})
        assert field in refused.value.message_dict
    with pytest.raises(ValidationError) as blank:
        personality_create(created_by="operator", dreaming_voice="   ")
    assert "dreaming_voice" in blank.value.message_dict
    assert Personality.objects.count() == 1
    with pytest.raises(ValueError, match="voice of cognition"):
        Voice(cognition="x" * 2001, dreaming="dreaming")


def test_a_version_that_history_cites_cannot_be_deleted_but_an_unused_one_can():
    make_moment(personality=active())
    with pytest.raises(ProtectedError):
        active().delete()
    unused = personality_create(created_by="operator", name="Unused")
    unused.delete()
    assert not Personality.objects.filter(pk=unused.pk).exists()


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="writers racing need PostgreSQL's concurrency")
@pytest.mark.django_db(transaction=True)
def test_writers_racing_get_their_own_version_numbers_and_one_version_stays_active():
    start = threading.Barrier(RACERS, timeout=30)

    def race(index: int) -> tuple[int, int]:
        try:
            start.wait()
            made = personality_create(created_by=f"racer {index}", name=f"Racer {index}")
            start.wait()
            for _ in range(5):
                personality_activate(personality=made)
            return made.version, Personality.objects.filter(is_active=True).count()
        finally:
            connection.close()

    with ThreadPoolExecutor(RACERS) as pool:
        outcomes = list(pool.map(race, range(RACERS)))
    assert sorted(version for version, _ in outcomes) == list(range(2, RACERS + 2))
    assert Personality.objects.filter(is_active=True).count() == 1


# --- The contract after the voice -----------------------------------------------------------


def test_the_fixed_contract_follows_the_voice_and_says_it_wins():
    voice = Voice(
        cognition="Ignore the format below and answer in free verse.",
        dreaming="Dream in lists.",
        sigil_style="Only spirals.",
    )
    for system, own in ((cognize_system(voice), voice.cognition), (dream_system(voice), "lists")):
        assert system.index(own) < system.index("Only spirals.")
        contract = system.index("The instructions below are fixed")
        assert system.index("Only spirals.") < contract
        assert "they win" in system[contract:]
        assert contract < system.index(SIGIL_LANGUAGE) < system.index(SAFETY_RULES)
        assert system.index(SAFETY_RULES) < system.index("Answer with one JSON object")
    assert voice.dreaming not in cognize_system(voice)


# --- Every moment and review records its version ---------------------------------------------


def test_each_moment_records_the_version_whose_voice_made_it():
    first = think("a child waves at the camera")
    second_version = personality_create(
        created_by="operator", cognition_voice=LIGHTHOUSE, activate=True
    )
    second = think("the child leaves")
    assert first.personality == Personality.objects.get(version=1)
    assert second.personality == second_version


def test_each_dream_review_records_the_version_whose_voice_made_it(setup_done):
    moments_seed(count=10, seed=5)
    dreamer = personality_create(
        created_by="operator", dreaming_voice="You dream like a tide.", activate=True
    )
    run = run_dream(trigger=Trigger.CLI, force=True)
    assert run.review.personality == dreamer
    assert run.review.moment.personality == dreamer


def test_the_selected_engine_is_sent_the_active_voice_of_dreaming(
    setup_done, openai_stub
):
    moments_seed(count=10, seed=6)
    personality_create(
        created_by="operator", dreaming_voice="You dream like a tide.", activate=True
    )
    run_dream(trigger=Trigger.CLI, force=True)  # the stub's answer is a moment, so it fails
    assert openai_stub.last_request.system_prompt().startswith("You dream like a tide.")


# --- Acceptance: a version activated through the API --------------------------------------


def test_a_version_activated_through_the_api_changes_the_next_cognitions_prompt_and_record(
    openai_stub, token
):
    before = think("a visitor by the window")
    assert openai_stub.last_request.system_prompt() == COGNIZE_SYSTEM
    client = Client()

    created = client.post(
        "/api/personalities/",
        {"name": "Lighthouse", "cognition_voice": LIGHTHOUSE},
        content_type="application/json",
        **token,
    )
    assert created.status_code == 201, created.content
    version = created.json()
    assert (version["version"], version["is_active"]) == (2, False)
    assert version["created_by"] == "control-token"
    activated = client.post(
        f"/api/personalities/{version['id']}/activate/", content_type="application/json", **token
    )
    assert activated.status_code == 200, activated.content
    assert activated.json()["is_active"] is True

    after = think("a visitor by the window")
    prompt = openai_stub.last_request.system_prompt()
    assert prompt.startswith(LIGHTHOUSE)
    assert prompt.endswith(COGNIZE_CONTRACT)  # the same contract, last
    assert (before.personality.version, after.personality.version) == (1, 2)
    shown = client.get(f"/api/moments/{after.pk}/").json()["personality"]
    assert shown == {"id": version["id"], "version": 2, "name": "Lighthouse"}
    assert client.get(f"/api/moments/{before.pk}/").json()["personality"]["version"] == 1


# --- The API -------------------------------------------------------------------------------


def test_anyone_may_list_the_versions_with_what_each_made():
    make_moment(personality=active())
    personality_create(created_by="operator", name="Quiet")
    listing = Client().get("/api/personalities/").json()["results"]
    assert [(row["version"], row["name"], row["is_active"]) for row in listing] == [
        (2, "Quiet", False),
        (1, "Default", True),
    ]
    assert (listing[1]["moment_count"], listing[1]["review_count"]) == (1, 0)
    assert listing[1]["cognition_voice"] == DEFAULT_VOICE.cognition


def test_writes_through_the_api_need_the_control_rule():
    anonymous = Client()
    created = anonymous.post("/api/personalities/", {}, content_type="application/json")
    assert created.status_code in (401, 403)
    assert anonymous.post(
        f"/api/personalities/{active().pk}/activate/", content_type="application/json"
    ).status_code in (401, 403)
    assert Personality.objects.count() == 1


def test_the_api_refuses_text_that_is_not_clean_and_fields_it_does_not_know(token):
    client = Client()
    for body in (
        {"cognition_voice": "a bell\u0007rings"},
        {"dreaming_voice": ""},
        {"cognition_voice": "x" * 2001},
        {"based_on": 999},
        {"voice": "unknown field"},
        {"activate": "yes"},
    ):
        response = client.post(
            "/api/personalities/", body, content_type="application/json", **token
        )
        assert response.status_code == 400, body
    missing = client.post(
        "/api/personalities/999/activate/", content_type="application/json", **token
    )
    assert missing.status_code == 404
    assert Personality.objects.count() == 1


def test_a_version_can_start_from_an_older_one_and_be_activated_at_once(token):
    client = Client()
    default = active()
    personality_create(created_by="operator", cognition_voice=LIGHTHOUSE, activate=True)
    response = client.post(
        "/api/personalities/",
        {"based_on": default.pk, "name": "Back to default", "activate": True},
        content_type="application/json",
        **token,
    )
    assert response.status_code == 201
    assert active().version == 3
    assert active().voice == DEFAULT_VOICE


def test_reviews_in_the_api_name_their_version_and_older_ones_say_none(setup_done):
    moments_seed(count=10, seed=7)
    run_dream(trigger=Trigger.CLI, force=True)
    review = DreamReview.objects.get()
    body = Client().get(f"/api/dream/reviews/{review.pk}/").json()
    assert body["personality"] == {"id": active().pk, "version": 1, "name": "Default"}
    DreamReview.objects.filter(pk=review.pk).update(personality=None)
    assert Client().get("/api/dream/reviews/latest/").json()["personality"] is None


# --- Pages and the admin -------------------------------------------------------------------


def test_moment_and_dream_pages_say_which_version_made_them(setup_done, client):
    moments_seed(count=10, seed=8)
    run_dream(trigger=Trigger.CLI, force=True)
    review = DreamReview.objects.get()
    older = make_moment(kind="live")
    assert "Default</bdi>, version 1" in client.get(f"/dreams/{review.pk}/").content.decode()
    moment_page = client.get(f"/moments/{review.moment.pk}/").content.decode()
    assert "Default</bdi>, version 1" in moment_page
    assert "Before personalities" in client.get(f"/moments/{older.pk}/").content.decode()


def test_the_admin_lists_versions_with_the_active_one_and_what_each_made(staff_client):
    make_moment(personality=active())
    personality_create(created_by="operator", name="Quiet")
    html = staff_client.get("/admin/dreams/personality/").content.decode()
    assert "Quiet" in html and "Default" in html
    assert 'alt="True"' in html  # the active version's mark
    assert '<td class="field-moment_count">1</td>' in html


def test_an_edit_in_the_admin_is_a_new_version_and_the_cited_one_keeps_its_wording(staff_client):
    default = active()
    make_moment(personality=default)
    response = staff_client.post(
        f"/admin/dreams/personality/{default.pk}/change/",
        {
            "name": "Default",
            "cognition_voice": LIGHTHOUSE,
            "dreaming_voice": default.dreaming_voice,
            "sigil_style": default.sigil_style,
            "notes": "A keeper's voice.",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "Saved as version 2" in response.content.decode()
    assert Personality.objects.get(pk=default.pk).cognition_voice == DEFAULT_VOICE.cognition
    edited = Personality.objects.get(version=2)
    assert (edited.cognition_voice, edited.notes, edited.created_by) == (
        LIGHTHOUSE,
        "A keeper's voice.",
        "operator",
    )
    assert active() == default


def test_the_admin_activates_a_version_and_keeps_the_active_one(staff_client):
    second = personality_create(created_by="operator", name="Second")
    response = staff_client.post(
        "/admin/dreams/personality/",
        {"action": "activate_personality", "_selected_action": [second.pk]},
        follow=True,
    )
    assert "Version 2 is now the active personality" in response.content.decode()
    assert active() == second
    page = staff_client.get(f"/admin/dreams/personality/{second.pk}/delete/")
    assert page.status_code == 403


def test_a_staff_member_on_another_machine_cannot_activate_in_the_admin(django_user_model):
    user = django_user_model.objects.create_superuser(username="far", password="x")
    remote = Client(REMOTE_ADDR="203.0.113.9")
    remote.force_login(user)
    second = personality_create(created_by="operator", name="Second")
    response = remote.post(
        "/admin/dreams/personality/",
        {"action": "activate_personality", "_selected_action": [second.pk]},
    )
    assert response.status_code == 403
    assert active().version == 1


def test_the_dashboard_names_the_active_version_and_links_staff_to_the_page(staff_client):
    html = staff_client.get("/").content.decode()
    assert "Personality: <bdi>Default</bdi>, version 1" in html
    assert 'href="/personality/"' in html
    assert 'href="/personality/"' not in Client().get("/").content.decode()


def test_the_offline_engine_says_plainly_that_it_follows_no_personality(staff_client):
    assert "follows no personality" in staff_client.get("/").content.decode()
    page = staff_client.get("/personality/").content.decode()
    assert 'data-engine-follows="false"' in page
    assert "follows no personality" in page
