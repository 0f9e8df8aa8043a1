"""The dream loop's replay mode and its parameters on every surface that writes the dream
settings (the command, the API, the admin, the setup wizard, the dashboard), each with the
same validation, and said in words where an operator reads it."""

import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from dreams.models import (
    DEFAULT_PHASE_WEIGHTS,
    ContinuityThread,
    DreamReview,
    DreamSettings,
    MomentKind,
    ThreadStatus,
)
from dreams.replay import ReplayMode
from dreams.selectors.dream_settings import replay_words
from dreams.services.dream_settings import dream_settings_change
from dreamsite.control import PUBLIC_DEMO_COPY, REMOTE_COPY
from tests.factories import make_moment, replay_admin_form

pytestmark = pytest.mark.django_db

REMOTE = "203.0.113.9"


def dream_settings(*args: str) -> str:
    out = io.StringIO()
    call_command("dream_settings", *args, stdout=out)
    return out.getvalue()


def make_thread(key: str = "the-river", name: str = "The river") -> ContinuityThread:
    now = timezone.now()
    return ContinuityThread.objects.create(
        key=key,
        name=name,
        status=ThreadStatus.RECURRING,
        first_seen_at=now - timedelta(days=3),
        last_seen_at=now,
        last_seen_sequence=2,
    )


def patch(client: Client, body: object):
    return client.patch("/api/settings/", body, content_type="application/json")


def text(response) -> str:
    return response.content.decode()


# -- the command ---------------------------------------------------------------------


def test_the_command_sets_every_replay_setting_and_says_the_mode_in_words():
    make_thread()
    output = dream_settings(
        "--set", "replay_mode=theme",
        "--set", "theme_valence_min=0.2",
        "--set", "theme_valence_max=1",
        "--set", "theme_arousal_min=-1",
        "--set", "theme_arousal_max=0.5",
        "--set", "theme_since=2026-12-01",
        "--set", "theme_until=2026-12-24T18:00+00:00",
        "--set", "theme_kind=live",
        "--set", "theme_thread=the-river",
        "--set", "sequence_length=12",
        "--set", "salience_intensity=0.9",
        "--set", "salience_recency=0",
        "--set", "salience_rarity=0.95",
        "--set", "salience_half_life_hours=48",
    )  # fmt: skip
    row = DreamSettings.load()
    assert row.replay_mode == ReplayMode.THEME
    assert (row.theme_valence_min, row.theme_valence_max) == (0.2, 1.0)
    assert (row.theme_arousal_min, row.theme_arousal_max) == (-1.0, 0.5)
    assert row.theme_since == datetime(2026, 12, 1, tzinfo=UTC)
    assert row.theme_until == datetime(2026, 12, 24, 18, 0, tzinfo=UTC)
    assert (row.theme_kind, row.theme_thread) == (MomentKind.LIVE, "the-river")
    assert row.sequence_length == 12
    assert (row.salience_intensity, row.salience_recency, row.salience_rarity) == (0.9, 0, 0.95)
    assert row.salience_half_life_hours == 48
    assert re.search(r"replay_label\s+a theme\n", output)
    assert (
        "Theme: valence 0.2 to 1 (pleasant), arousal -1 to 0.5 (calm to excited), from "
        "1 Dec 2026 to 24 Dec 2026, 18:00, only live moments, the thread “The river”."
    ) in output


def test_a_time_without_an_offset_is_read_in_the_dream_time_zone():
    dream_settings("--set", "time_zone=Europe/Berlin", "--set", "theme_since=2026-12-01")
    assert DreamSettings.load().theme_since == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    dream_settings("--set", "theme_until=2026-12-02T08:30")  # the stored zone, Berlin
    assert DreamSettings.load().theme_until == datetime(2026, 12, 2, 7, 30, tzinfo=UTC)


def test_an_empty_value_clears_a_theme_setting_and_shows_it_unset():
    dream_settings("--set", "theme_kind=dream", "--set", "theme_valence_min=0.3")
    output = dream_settings("--set", "theme_kind=", "--set", "theme_valence_min=")
    row = DreamSettings.load()
    assert (row.theme_kind, row.theme_valence_min) == ("", None)
    assert re.search(r"theme_valence_min\s+\(not set: does not restrict\)", output)


def test_the_json_output_carries_the_replay_settings():
    data = json.loads(dream_settings("--set", "replay_mode=sequence", "--json"))
    assert (data["replay_mode"], data["sequence_length"]) == ("sequence", 8)
    assert data["replay_label"] == "a sequence"
    assert data["replay_parameters"].startswith("Runs of 8 consecutive moments, in order")


@pytest.mark.parametrize(
    ("assignments", "message"),
    [
        (
            ["replay_mode=random"],
            "replay_mode: one of uniform, theme, sequence, salience, last_dream.",
        ),
        (["replay_mode="], "replay_mode: give a value; this setting cannot be empty."),
        (["sequence_length="], "sequence_length: give a value; this setting cannot be empty."),
        (
            ["sequence_length=1"],
            "sequence_length: Ensure this value is greater than or equal to 2.",
        ),
        (
            ["theme_valence_min=1.5"],
            "theme_valence_min: Ensure this value is less than or equal to 1",
        ),
        (["theme_valence_min=much"], "theme_valence_min: “much” value must be a float."),
        (
            ["theme_arousal_min=0.5", "theme_arousal_max=0"],
            "theme_arousal_max: The theme's highest arousal is below its lowest.",
        ),
        (
            ["theme_since=2026-12-02", "theme_until=2026-12-01"],
            "theme_until: The theme's highest time is below its lowest.",
        ),
        (["theme_since=yesterday"], "theme_since: give a date or a date and time, e.g. 2026-12-01"),
        (["theme_since=2026-02-30"], "theme_since: give a date or a date and time"),
        (["theme_kind=dreamy"], "theme_kind: one of live, dream, seed."),
        (["theme_thread=nowhere"], "theme_thread: No continuity thread has the key 'nowhere'"),
        (
            ["salience_rarity=0.96"],
            "salience_rarity: Ensure this value is less than or equal to 0.95",
        ),
        (["salience_half_life_hours=0"], "salience_half_life_hours: Ensure this value is greater"),
    ],
)
def test_a_refused_replay_value_exits_2_and_changes_nothing(assignments, message):
    args = [arg for assignment in assignments for arg in ("--set", assignment)]
    with pytest.raises(CommandError) as refused:
        call_command("dream_settings", "--set", "sequence_length=20", *args)
    assert refused.value.returncode == 2
    assert message in str(refused.value)
    assert DreamSettings.load().sequence_length == 8


# -- the API -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "stored"),
    [
        ("replay_mode", "salience", "salience"),
        ("theme_valence_min", -0.5, -0.5),
        ("theme_valence_max", 0.25, 0.25),
        ("theme_arousal_min", -1, -1.0),
        ("theme_arousal_max", 1, 1.0),
        ("theme_since", "2026-12-01T00:00:00+01:00", datetime(2026, 11, 30, 23, 0, tzinfo=UTC)),
        ("theme_until", "2026-12-24T18:00:00Z", datetime(2026, 12, 24, 18, 0, tzinfo=UTC)),
        ("theme_kind", "dream", "dream"),
        ("theme_thread", "the-river", "the-river"),
        ("sequence_length", 30, 30),
        ("salience_intensity", 0.1, 0.1),
        ("salience_recency", 0.95, 0.95),
        ("salience_rarity", 0, 0.0),
        ("salience_half_life_hours", 720, 720),
    ],
)
def test_staff_patch_each_replay_setting(staff_client, field, value, stored):
    make_thread()
    response = patch(staff_client, {field: value})
    assert response.status_code == 200, response.content
    assert getattr(DreamSettings.load(), field) == stored
    shown = response.json()[field]
    assert (datetime.fromisoformat(shown) if isinstance(stored, datetime) else shown) == stored


def test_a_theme_bound_patched_to_null_no_longer_restricts(staff_client):
    dream_settings_change(changes={"theme_valence_min": 0.4, "theme_kind": "live"})
    response = patch(staff_client, {"theme_valence_min": None, "theme_kind": ""})
    assert response.status_code == 200
    row = DreamSettings.load()
    assert (row.theme_valence_min, row.theme_kind) == (None, "")


def test_the_settings_api_shows_the_replay_mode_in_words(client):
    dream_settings_change(
        changes={"replay_mode": "theme", "theme_valence_min": 0.2, "theme_arousal_max": 0}
    )
    body = client.get("/api/settings/").json()
    assert (body["replay_mode"], body["replay_label"]) == ("theme", "a theme")
    assert body["replay_parameters"] == (
        "Theme: valence from 0.2 (pleasant), arousal up to 0 (calm)."
    )
    assert body["theme_valence_max"] is None and body["theme_since"] is None
    assert body["salience_half_life_hours"] == 168


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {"theme_valence_min": 0.5, "theme_valence_max": 0.1},
            "theme_valence_max",
            "The theme's highest valence is below its lowest.",
        ),
        ({"theme_thread": "nowhere"}, "theme_thread", "No continuity thread has the key"),
        ({"replay_mode": "random"}, "replay_mode", "is not a valid choice"),
        ({"theme_arousal_max": 1.01}, "theme_arousal_max", "less than or equal to 1"),
        ({"sequence_length": 101}, "sequence_length", "less than or equal to 100"),
        ({"salience_intensity": -0.1}, "salience_intensity", "greater than or equal to 0"),
        ({"theme_valence_min": "0.2"}, "theme_valence_min", "Must be a number (a JSON number)."),
        ({"theme_valence_min": True}, "theme_valence_min", "Must be a number"),
        ({"sequence_length": 4.5}, "sequence_length", "Must be a whole number"),
        ({"theme_since": "2026-12-01T00:00:00"}, "theme_since", "with an offset"),
        ({"theme_since": "2026-02-30T00:00:00Z"}, "theme_since", "with an offset"),
        ({"theme_since": 1764547200}, "theme_since", "with an offset"),
        ({"theme_kind": "dreamy"}, "theme_kind", "is not a valid choice"),
        ({"sequence_length": None}, "sequence_length", "may not be null"),
    ],
)
def test_a_refused_replay_value_is_400_naming_the_field_and_nothing_changes(
    staff_client, body, field, message
):
    response = patch(staff_client, {"replay_mode": "sequence", **body})
    assert response.status_code == 400
    errors = response.json()
    assert field in errors
    assert message in " ".join(errors[field])
    assert DreamSettings.load().replay_mode == ReplayMode.UNIFORM


# -- the admin -----------------------------------------------------------------------


def test_the_admin_shows_the_replay_mode_with_a_section_per_mode(staff_client):
    dream_settings_change(changes={"replay_mode": "sequence", "sequence_length": 5})
    page = text(staff_client.get("/admin/dreams/dreamsettings/1/change/"))
    for heading in (
        "Dream loop replay",
        "Replay mode Theme",
        "Replay mode Sequence",
        "Replay mode Salience",
    ):
        assert f">{heading}<" in page
    assert "Used only when the replay mode is Theme" in page
    assert "Used only when the replay mode is Salience" in page
    assert "a sequence: Runs of 5 consecutive moments, in order" in page
    for name in ("replay_mode", "theme_valence_min", "theme_since_0", "sequence_length"):
        assert f'name="{name}"' in page


def admin_form(**replay: str) -> dict[str, str]:
    row = DreamSettings.load()
    return {
        "enabled": "on",
        "cadence": row.cadence,
        "daily_at": "03:00",
        "interval_hours": str(row.interval_hours),
        "time_zone": row.time_zone,
        "min_new_moments": str(row.min_new_moments),
        "max_material": str(row.max_material),
        "timeout_s": str(row.timeout_s),
        **{name: str(getattr(row, name)) for name in DEFAULT_PHASE_WEIGHTS},
        **replay_admin_form(**replay),
    }


def test_the_admin_saves_the_replay_settings_through_the_service(staff_client):
    url = "/admin/dreams/dreamsettings/1/change/"
    saved = staff_client.post(
        url,
        admin_form(
            replay_mode="theme",
            theme_arousal_min="-0.4",
            theme_since_0="2026-12-01",
            theme_since_1="06:00",
            theme_kind="seed",
        ),
    )
    assert saved.status_code == 302, text(saved)[:3000]
    row = DreamSettings.load()
    assert (row.replay_mode, row.theme_arousal_min, row.theme_kind) == ("theme", -0.4, "seed")
    assert row.theme_since == datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
    refused = staff_client.post(
        url, admin_form(replay_mode="theme", theme_arousal_min="0.5", theme_arousal_max="0.1")
    )
    assert refused.status_code == 200
    assert "The theme&#x27;s highest arousal is below its lowest." in text(refused)
    assert DreamSettings.load().theme_arousal_max is None


# -- the setup wizard ----------------------------------------------------------------

WIZARD_TIMING = {
    "cognitive_cycle_ms": "5000",
    "dream_cycle_ms": "20000",
    "session_timeout_ms": "60000",
}
CADENCE = {
    "enabled": "on",
    "cadence": "daily",
    "daily_at": "03:00",
    "interval_hours": "24",
    "time_zone": "Asia/Tokyo",
    "min_new_moments": "5",
}


def wizard_post(client: Client, step: str, data: dict | None = None, action: str = "next"):
    return client.post(f"/setup/{step}/", {**(data or {}), "action": action})


def walk_to_timing(client: Client) -> None:
    for name, data in (("welcome", {}), ("cadence", CADENCE), ("engine", {"engine": "offline"})):
        assert wizard_post(client, name, data).status_code == 302


def test_the_live_loop_step_offers_every_mode_with_its_settings_under_headings(staff_client):
    make_thread()
    walk_to_timing(staff_client)
    page = text(staff_client.get("/setup/timing/"))
    for value, label in ReplayMode.choices:
        assert re.search(rf'<input type="radio" name="replay_mode" value="{value}"[^>]*>', page)
        assert f">{label}</label>" in page
    # The stored mode is the one chosen; each mode's settings sit in a section of its own,
    # under a heading, all in the page (CSS hides those of the other modes).
    assert re.search(r'name="replay_mode" value="uniform"[^>]*checked', page)
    for mode, heading in (
        ("theme", "Theme: which moments"),
        ("sequence", "Sequence: how long a run"),
        ("salience", "Salience: what makes a moment resurface"),
    ):
        assert re.search(
            rf'<fieldset class="replay-params replay-{mode}"[^>]*>\s*<legend>{heading}</legend>',
            page,
        )
    assert '<option value="the-river">The river</option>' in page
    assert '<input type="datetime-local" name="theme_since"' in page
    assert 'name="sequence_length" value="8"' in page
    assert "in the dream time zone (Asia/Tokyo)" in page


def test_finishing_with_a_theme_writes_it_and_the_review_says_it(staff_client):
    make_thread()
    walk_to_timing(staff_client)
    response = wizard_post(
        staff_client,
        "timing",
        {
            **WIZARD_TIMING,
            "replay_mode": "theme",
            "theme_valence_min": "0.2",
            "theme_valence_max": "",
            "theme_arousal_min": "",
            "theme_arousal_max": "0",
            "theme_since": "2026-12-01T09:00",
            "theme_until": "",
            "theme_kind": "",
            "theme_thread": "the-river",
            "sequence_length": "8",
            "salience_intensity": "0.7",
            "salience_recency": "0.5",
            "salience_rarity": "0.7",
            "salience_half_life_hours": "168",
        },
    )
    assert response["Location"] == "/setup/review/"
    review = text(staff_client.get("/setup/review/"))
    assert (
        'A theme. <span dir="auto">Theme: valence from 0.2 (pleasant), arousal up to 0 (calm)'
        in review
    )
    assert "since 1 Dec 2026, 09:00, the thread “The river”." in review

    assert wizard_post(staff_client, "review", action="finish")["Location"] == "/"
    row = DreamSettings.load()
    assert (row.replay_mode, row.theme_valence_min, row.theme_arousal_max) == ("theme", 0.2, 0.0)
    assert row.theme_valence_max is None
    # 09:00 in Tokyo, the cadence step's time zone.
    assert row.theme_since == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    assert row.theme_thread == "the-river"


@pytest.mark.parametrize(
    ("replay", "field", "message"),
    [
        (
            {"replay_mode": "theme", "theme_valence_min": "0.5", "theme_valence_max": "0"},
            "theme_valence_max",
            "The theme&#x27;s highest valence is below its lowest.",
        ),
        (
            {"replay_mode": "sequence", "sequence_length": ""},
            "sequence_length",
            "Give a value: the Sequence mode needs it.",
        ),
        (
            {"replay_mode": "sequence", "sequence_length": "101"},
            "sequence_length",
            "less than or equal to 100",
        ),
        (
            {"replay_mode": "salience", "salience_rarity": "2"},
            "salience_rarity",
            "less than or equal to 0.95",
        ),
        (
            {"replay_mode": "theme", "theme_since": "soon"},
            "theme_since",
            "Enter a valid date/time.",
        ),
        ({"replay_mode": "often"}, "replay_mode", "Select a valid choice."),
    ],
)
def test_a_refused_replay_answer_is_shown_under_its_field_in_a_shown_section(
    staff_client, replay, field, message
):
    walk_to_timing(staff_client)
    response = wizard_post(staff_client, "timing", {**WIZARD_TIMING, **replay})
    assert response.status_code == 400
    page = text(response)
    error = re.search(rf'<p class="field-error" id="id_{field}_error">([^<]*)</p>', page)
    assert error is not None and message in error[1]
    if field != "replay_mode":
        # Its section stays shown whichever mode is chosen, so the error can be seen.
        section = re.findall(r'<fieldset class="replay-params replay-(\w+)( has-error)?"', page)
        assert [mode for mode, error in section if error] == [
            next(mode for mode, names in REPLAY_SECTIONS_BY_FIELD.items() if field in names)
        ]
    assert DreamSettings.load().replay_mode == ReplayMode.UNIFORM


REPLAY_SECTIONS_BY_FIELD = {
    "theme": ("theme_valence_max", "theme_since"),
    "sequence": ("sequence_length",),
    "salience": ("salience_rarity",),
}


def test_running_the_wizard_again_starts_from_the_stored_replay_settings(staff_client):
    dream_settings_change(
        changes={
            "time_zone": "Asia/Tokyo",
            "replay_mode": "salience",
            "salience_recency": 0.25,
            "theme_since": datetime(2026, 12, 1, 0, 0, tzinfo=UTC),
        }
    )
    walk_to_timing(staff_client)
    page = text(staff_client.get("/setup/timing/"))
    assert re.search(r'name="replay_mode" value="salience"[^>]*checked', page)
    assert 'name="salience_recency" value="0.25"' in page
    assert 'value="2026-12-01T09:00"' in page  # midnight UTC is 09:00 in Tokyo


def test_a_timing_step_without_a_replay_mode_keeps_the_replay_settings(staff_client):
    dream_settings_change(changes={"replay_mode": "sequence", "sequence_length": 3})
    walk_to_timing(staff_client)
    assert wizard_post(staff_client, "timing", WIZARD_TIMING)["Location"] == "/setup/review/"
    wizard_post(staff_client, "review", action="finish")
    row = DreamSettings.load()
    assert (row.replay_mode, row.sequence_length, row.setup_complete) == ("sequence", 3, True)


# -- the dashboard -------------------------------------------------------------------


def test_the_dashboard_says_what_the_dream_loop_replays_to_everyone(client):
    dream_settings_change(
        changes={
            "replay_mode": "theme",
            "theme_valence_min": 0.2,
            "theme_valence_max": 1,
            "theme_since": datetime(2026, 12, 1, tzinfo=UTC),
        }
    )
    page = text(client.get("/"))
    assert "Replaying <strong>a theme</strong>" in page
    assert "Theme: valence 0.2 to 1 (pleasant), since 1 Dec 2026." in page
    assert 'id="replay-form"' not in page  # read-only for visitors


def test_staff_see_the_mode_form_posting_to_the_settings_api(staff_client):
    dream_settings_change(changes={"replay_mode": "last_dream"})
    page = text(staff_client.get("/"))
    form = re.search(r'<form id="replay-form"[^>]*action="([^"]+)"', page)
    assert form is not None and form[1] == "/api/settings/"
    assert re.search(r'<option value="last_dream" selected>', page)
    assert "No dream has been written yet: generate one, and its themes are replayed." in page


def test_the_last_dream_mode_names_the_dream_it_replays(client):
    dream = make_moment(kind=MomentKind.DREAM)
    DreamReview.objects.create(
        sequence=4,
        title="A dream of rivers",
        narrative="Water.",
        themes=[],
        moment=dream,
        engine="offline",
        material_count=0,
        material_through_cycle=0,
    )
    dream_settings_change(changes={"replay_mode": "last_dream"})
    assert replay_words(DreamSettings.load()).parameters == (
        "The moments cited by dream 4, “A dream of rivers”, theme by theme."
    )


def test_the_dashboards_mode_change_is_a_guarded_write(
    staff_client, client, django_user_model, settings
):
    assert patch(staff_client, {"replay_mode": "sequence"}).status_code == 200
    assert DreamSettings.load().replay_mode == ReplayMode.SEQUENCE

    assert patch(client, {"replay_mode": "theme"}).status_code in (401, 403)
    visitor = django_user_model.objects.create_user(username="visitor", password="x")
    non_staff = Client()
    non_staff.force_login(visitor)
    assert patch(non_staff, {"replay_mode": "theme"}).status_code == 403
    far = Client(REMOTE_ADDR=REMOTE)
    far.force_login(django_user_model.objects.get(username="operator"))
    refused = patch(far, {"replay_mode": "theme"})
    assert refused.status_code == 403 and refused.json()["detail"] == REMOTE_COPY
    settings.DREAMS_PUBLIC_DEMO = True
    demo = patch(staff_client, {"replay_mode": "theme"})
    assert demo.status_code == 403 and demo.json()["detail"] == PUBLIC_DEMO_COPY
    assert DreamSettings.load().replay_mode == ReplayMode.SEQUENCE
    # And the page offers the form exactly when the write would be accepted.
    assert 'id="replay-form"' not in text(staff_client.get("/"))
