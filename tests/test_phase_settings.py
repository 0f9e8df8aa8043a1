"""The display phases' weights are dream settings: set through the API, the command and the
admin (one service, one set of rules), shown as each loop's phase lengths in force."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dreams.models import DEFAULT_PHASE_WEIGHTS, DreamSettings
from tests.factories import replay_admin_form

pytestmark = pytest.mark.django_db

ALL_ZERO = {name: 0 for name in DEFAULT_PHASE_WEIGHTS}


def patch(client, body):
    return client.patch("/api/settings/", body, content_type="application/json")


def test_the_defaults_are_the_source_systems_timeline_scaled_to_each_loop(client, settings):
    settings.DREAM_CYCLE_MS, settings.COGNITIVE_CYCLE_MS = 20_000, 5_000
    body = client.get("/api/settings/").json()
    assert [body[name] for name in DEFAULT_PHASE_WEIGHTS] == [35, 2, 3, 15, 3, 2]
    dream = body["phase_timeline_in_force"]["dream"]
    assert list(dream) == ["PERCEPTS", "SPOOL", "SIGILIN", "SIGILHOLD", "SIGILOUT", "RESET"]
    assert (dream["SIGILIN"], dream["SIGILHOLD"], sum(dream.values())) == (1000, 5000, 20_000)
    assert sum(body["phase_timeline_in_force"]["cognitive"].values()) == 5_000


def test_staff_set_weights_over_the_api_and_see_the_new_lengths(staff_client, settings):
    settings.DREAM_CYCLE_MS = 20_000
    response = patch(staff_client, {"phase_sigilhold_weight": 45, "phase_percepts_weight": 5})
    assert response.status_code == 200, response.content
    assert DreamSettings.load().loop_timing.phase_weights == (5, 2, 3, 45, 3, 2)
    timeline = response.json()["phase_timeline_in_force"]["dream"]
    assert (timeline["SIGILHOLD"], sum(timeline.values())) == (15_000, 20_000)


@pytest.mark.parametrize(
    ("body", "key", "words"),
    [
        ({"phase_sigilhold_weight": -1}, "phase_sigilhold_weight", "greater than or equal to 0"),
        ({"phase_reset_weight": 5000}, "phase_reset_weight", "less than or equal to 1000"),
        ({"phase_spool_weight": "2"}, "phase_spool_weight", ""),
        (ALL_ZERO, "non_field_errors", "At least one display phase needs a weight above 0"),
    ],
)
def test_a_refused_weight_is_a_400_saying_why_and_nothing_changes(staff_client, body, key, words):
    response = patch(staff_client, {"min_new_moments": 9, **body})
    assert response.status_code == 400
    assert words in " ".join(response.json()[key])
    row = DreamSettings.load()
    assert (row.min_new_moments, row.loop_timing.phase_weights) == (5, (35, 2, 3, 15, 3, 2))


def test_anonymous_callers_cannot_change_the_weights(client):
    assert patch(client, {"phase_sigilhold_weight": 30}).status_code in (401, 403)
    assert DreamSettings.load().phase_sigilhold_weight == 15


def dream_settings(*args: str) -> str:
    out = io.StringIO()
    call_command("dream_settings", *args, stdout=out)
    return out.getvalue()


def test_the_command_sets_a_weight_and_shows_the_lengths_in_force(settings):
    settings.DREAM_CYCLE_MS = 20_000
    data = json.loads(dream_settings("--set", "phase_sigilhold_weight=30", "--json"))
    assert data["phase_sigilhold_weight"] == 30
    assert sum(data["phase_timeline_in_force"]["dream"].values()) == 20_000
    text = dream_settings()
    assert "dream: PERCEPTS 9334 ms, SPOOL 533 ms" in text  # 35 and 2 of 75


def test_the_command_refuses_all_zero_weights_in_plain_words():
    assignments = [arg for name in DEFAULT_PHASE_WEIGHTS for arg in ("--set", f"{name}=0")]
    with pytest.raises(CommandError) as refused:
        dream_settings(*assignments)
    assert refused.value.returncode == 2
    assert "Nothing was changed.\nAt least one display phase needs a weight" in str(refused.value)
    assert "__all__" not in str(refused.value)
    assert DreamSettings.load().phase_sigilhold_weight == 15


def admin_form(**weights: int) -> dict[str, str]:
    row = DreamSettings.load()
    return {
        "enabled": "on",
        "cadence": row.cadence,
        "daily_at": row.daily_at.strftime("%H:%M"),
        "interval_hours": str(row.interval_hours),
        "time_zone": row.time_zone,
        "min_new_moments": str(row.min_new_moments),
        "max_material": str(row.max_material),
        "timeout_s": str(row.timeout_s),
        "cognitive_cycle_ms": "",
        "dream_cycle_ms": "",
        "session_timeout_ms": "",
        **{name: str(weights.get(name, weight)) for name, weight in DEFAULT_PHASE_WEIGHTS.items()},
        **replay_admin_form(),
    }


def test_the_admin_saves_weights_through_the_service_and_refuses_all_zero(staff_client):
    url = "/admin/dreams/dreamsettings/1/change/"
    page = staff_client.get(url).content.decode()
    assert "Display phases" in page and "SIGILHOLD 5000 ms" in page.replace(",", "")
    saved = staff_client.post(url, admin_form(phase_sigilhold_weight=25))
    assert saved.status_code == 302
    assert DreamSettings.load().phase_sigilhold_weight == 25
    refused = staff_client.post(url, admin_form(**ALL_ZERO))
    assert refused.status_code == 200
    assert "At least one display phase needs a weight above 0" in refused.content.decode()
    assert DreamSettings.load().phase_sigilhold_weight == 25
