"""The setup wizard over the Django test client, and the activation gate it opens."""

import io
import re
from datetime import time

import pytest
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.test import Client

from dreams.models import (
    DEFAULT_PHASE_WEIGHTS,
    Cadence,
    DreamSettings,
    LoopTiming,
    RunReason,
    RunStatus,
    Trigger,
)
from dreams.run_reasons import run_reason_copy
from dreams.selectors.health import HealthStatus, dream_health
from dreams.services.dream_runs import run_dream
from dreams.services.dream_settings import dream_settings_update, loop_timing_update
from dreams.services.seeding import moments_seed
from dreamsite.control import PUBLIC_DEMO_COPY
from engines.adapters.base import Check, ReadinessState
from engines.adapters.offline import OfflineAdapter
from engines.models import EngineSelectionChange, SelectionSource
from engines.selection import engine_select, selected_engine
from setup_wizard.models import SetupDraft
from tests.factories import replay_admin_form

pytestmark = pytest.mark.django_db

CADENCE = {
    "enabled": "on",
    "cadence": "interval",
    "daily_at": "03:00",
    "interval_hours": "6",
    "time_zone": "Europe/Berlin",
    "min_new_moments": "4",
}
TIMING = {"cognitive_cycle_ms": "2500", "dream_cycle_ms": "15000", "session_timeout_ms": "45000"}


def post(client: Client, step: str, data: dict | None = None, action: str = "next"):
    return client.post(f"/setup/{step}/", {**(data or {}), "action": action})


def walk_to(client: Client, step: str) -> None:
    """Submit every step before `step` with valid answers."""
    answers = {"welcome": {}, "cadence": CADENCE, "engine": {"engine": "offline"}}
    for name, data in answers.items():
        if name == step:
            return
        response = post(client, name, data)
        assert response.status_code == 302, response.content.decode()
    response = post(client, "timing", TIMING)
    assert response.status_code == 302


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def no_engine_ready(monkeypatch, engine_env):
    """Not even the built-in engine is ready (the chosen one stays stored)."""
    engine_select(engine="offline", source=SelectionSource.CLI)
    monkeypatch.setattr(
        OfflineAdapter,
        "check",
        lambda self, env: Check(
            ReadinessState.NOT_INSTALLED, "Reinstall the project's dependencies."
        ),
    )
    engine_env()  # clears the readiness cache


# -- access -------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/setup/", "/setup/cadence/"])
def test_anonymous_visitors_are_sent_to_the_admin_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={path}"


def test_accounts_without_staff_status_are_told_setup_is_for_staff(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("visitor", password="pw-visitor"))
    response = client.get("/setup/welcome/")
    assert response.status_code == 403
    assert "Setup is for staff" in text(response)
    assert post(client, "welcome").status_code == 403
    assert not SetupDraft.objects.exists()


def test_public_demo_shows_setup_read_only_and_refuses_changes(staff_client, settings):
    settings.DREAMS_PUBLIC_DEMO = True
    page = staff_client.get("/setup/welcome/")
    assert page.status_code == 200
    assert PUBLIC_DEMO_COPY in text(page)
    assert '<fieldset class="wizard-fields" disabled>' in text(page)
    assert 'value="next"' not in text(page)
    refused = post(staff_client, "welcome")
    assert refused.status_code == 403
    assert PUBLIC_DEMO_COPY in text(refused)
    assert not SetupDraft.objects.exists()
    assert not DreamSettings.load().setup_complete


def test_changes_need_the_csrf_token(django_user_model):
    client = Client(enforce_csrf_checks=True)
    client.force_login(django_user_model.objects.create_superuser("op", password="pw-op"))
    assert post(client, "welcome").status_code == 403
    assert not SetupDraft.objects.exists()


# -- each step is validated, and nothing typed is lost ------------------------------


def test_cadence_errors_name_the_fields_and_keep_the_input(staff_client):
    walk_to(staff_client, "cadence")
    typed = {
        **CADENCE,
        "cadence": "daily",
        "daily_at": "",
        "interval_hours": "7",
        "time_zone": "Mars/Olympus_Mons",
        "min_new_moments": "0",
    }
    response = post(staff_client, "cadence", typed)
    assert response.status_code == 400
    page = text(response)
    assert "Give the time of the daily dream" in page
    assert "Mars/Olympus_Mons is not one of the available choices" in page
    assert "greater than or equal to 1" in page
    assert 'name="interval_hours" value="7"' in page
    assert 'name="min_new_moments" value="0"' in page
    field = re.search(r'<input type="number" name="min_new_moments"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in field
    assert 'aria-describedby="id_min_new_moments_help id_min_new_moments_error"' in field
    assert 'id="id_min_new_moments_error"' in page
    # Still on this step, with the input kept for a reload.
    reloaded = text(staff_client.get("/setup/cadence/"))
    assert 'name="interval_hours" value="7"' in reloaded
    assert "Give the time of the daily dream" in reloaded


def test_every_few_hours_needs_the_hours(staff_client):
    walk_to(staff_client, "cadence")
    response = post(staff_client, "cadence", {**CADENCE, "interval_hours": ""})
    assert response.status_code == 400
    assert "Give the hours between dreams" in text(response)


def test_timing_outside_its_range_is_refused_with_the_range(staff_client):
    walk_to(staff_client, "timing")
    typed = {"cognitive_cycle_ms": "100", "dream_cycle_ms": "soon", "session_timeout_ms": "45000"}
    response = post(staff_client, "timing", typed)
    assert response.status_code == 400
    page = text(response)
    assert "greater than or equal to 500" in page
    assert "Enter a whole number." in page
    assert 'name="cognitive_cycle_ms" value="100"' in page
    assert 'name="dream_cycle_ms" value="soon"' in page
    assert "From 500 (500 ms) to 600,000 (10 min)" in page


def test_going_back_keeps_what_was_typed_without_judging_it(staff_client):
    walk_to(staff_client, "timing")
    response = post(staff_client, "timing", {**TIMING, "cognitive_cycle_ms": "12"}, "back")
    assert response["Location"] == "/setup/engine/"
    page = text(staff_client.get("/setup/timing/"))
    assert 'name="cognitive_cycle_ms" value="12"' in page


def test_later_steps_open_only_after_the_steps_before(staff_client):
    assert staff_client.get("/setup/review/")["Location"] == "/setup/welcome/"
    walk_to(staff_client, "engine")
    assert staff_client.get("/setup/review/")["Location"] == "/setup/engine/"
    assert staff_client.get("/setup/cadence/").status_code == 200
    assert staff_client.get("/setup/nowhere/").status_code == 404


# -- the engine step -----------------------------------------------------------------


def test_the_engine_step_lists_every_engine_with_readiness_hint_and_disclosure(staff_client):
    walk_to(staff_client, "engine")
    page = text(staff_client.get("/setup/engine/"))
    for label in [
        "Anthropic Claude (API)",
        "Google Gemini (API)",
        "Ollama (local models)",
        "Hermes (upstream only)",
    ]:
        assert label in page
    assert "What data leaves this machine:" in page
    assert "Nothing leaves this server" in page
    assert "Percepts and mind moments are sent to Google" in page
    assert "To make it ready: Set ANTHROPIC_API_KEY in the server" in page
    assert "To make it ready: Set GEMINI_API_KEY in the server" in page
    anthropic = re.search(r'<input type="radio" name="engine" id="engine-anthropic"[^>]*>', page)
    assert " disabled" in anthropic.group(0)
    assert "Skip for now" not in page


@pytest.mark.parametrize(
    ("engine", "copy"),
    [
        ("openai", "is not ready"),
        ("hermes", "cannot be selected"),
        ("", "Choose one of the ready engines."),
    ],
)
def test_the_engine_step_accepts_only_ready_engines(staff_client, engine, copy):
    walk_to(staff_client, "engine")
    response = post(staff_client, "engine", {"engine": engine})
    assert response.status_code == 400
    assert copy in text(response)


def test_the_engine_step_cannot_be_skipped_while_an_engine_is_ready(staff_client):
    walk_to(staff_client, "engine")
    response = post(staff_client, "engine", action="skip")
    assert response.status_code == 400
    assert "An engine is ready, so choose one" in text(response)


def test_with_no_engine_ready_the_step_tells_how_and_may_be_skipped(staff_client, no_engine_ready):
    walk_to(staff_client, "engine")
    page = text(staff_client.get("/setup/engine/"))
    assert "No engine is ready on this server yet." in page
    assert "Skip for now" in page
    assert post(staff_client, "engine", action="skip")["Location"] == "/setup/timing/"
    post(staff_client, "timing", TIMING)
    review = text(staff_client.get("/setup/review/"))
    assert "Skipped: the current selection stays (Offline (built in), not installed)." in review
    assert post(staff_client, "review", action="finish")["Location"] == "/"
    assert DreamSettings.load().setup_complete
    assert selected_engine().engine == "offline"


# -- the draft -------------------------------------------------------------------------


def test_the_draft_is_kept_on_the_server_and_resumed_in_another_browser(staff_client):
    walk_to(staff_client, "engine")
    other_browser = Client()
    other_browser.force_login(SetupDraft.objects.get().user)
    assert other_browser.get("/setup/")["Location"] == "/setup/engine/"
    page = text(other_browser.get("/setup/cadence/"))
    assert 'value="interval" id="id_cadence_1" required checked' in page
    assert 'name="interval_hours" value="6"' in page
    assert '<option value="Europe/Berlin" selected>' in page


def test_a_visit_writes_no_draft_and_starting_over_discards_it(staff_client):
    staff_client.get("/setup/")
    staff_client.get("/setup/welcome/")
    assert not SetupDraft.objects.exists()
    walk_to(staff_client, "engine")
    assert staff_client.post("/setup/restart/")["Location"] == "/setup/welcome/"
    assert not SetupDraft.objects.exists()


# -- finishing -------------------------------------------------------------------------


def test_finishing_writes_everything_through_the_services_and_opens_the_gate(
    staff_client, engine_env
):
    engine_env(ANTHROPIC_API_KEY="sk-ant-wizard-test")
    walk_to(staff_client, "engine")
    post(staff_client, "engine", {"engine": "anthropic"})
    post(staff_client, "timing", TIMING)
    review = text(staff_client.get("/setup/review/"))
    assert "Every 6 hours" in review
    assert "Anthropic Claude (API)" in review
    assert "2500 ms (2.5 s)" in review

    response = post(staff_client, "review", action="finish")

    assert response.status_code == 302
    assert response["Location"] == "/"
    row = DreamSettings.load()
    assert (row.enabled, row.cadence, row.interval_hours, row.daily_at) == (
        True,
        Cadence.INTERVAL,
        6,
        time(3, 0),
    )
    assert (row.time_zone, row.min_new_moments) == ("Europe/Berlin", 4)
    assert (row.cognitive_cycle_ms, row.dream_cycle_ms, row.session_timeout_ms) == (
        2500,
        15000,
        45000,
    )
    assert row.setup_complete
    change = EngineSelectionChange.objects.latest("id")
    assert (change.engine, change.source, change.actor) == ("anthropic", "setup", "operator")
    assert selected_engine().engine == "anthropic"
    assert not SetupDraft.objects.exists()
    [message] = list(get_messages(response.wsgi_request))
    assert message.level_tag == "success"
    assert str(message) == (
        "Setup is complete. Dreams come every 6 hours; the dream engine is Anthropic Claude (API)."
    )


def test_an_engine_that_stopped_being_ready_sends_the_operator_back(staff_client, engine_env):
    engine_env(ANTHROPIC_API_KEY="sk-ant-wizard-test")
    walk_to(staff_client, "engine")
    post(staff_client, "engine", {"engine": "anthropic"})
    post(staff_client, "timing", TIMING)
    engine_env(ANTHROPIC_API_KEY=None)

    response = post(staff_client, "review", action="finish")

    assert response["Location"] == "/setup/engine/"
    page = text(staff_client.get("/setup/engine/"))
    assert "This step needs attention before setup can finish." in page
    assert "Anthropic Claude (API) is not ready: needs setup. Set ANTHROPIC_API_KEY" in page
    row = DreamSettings.load()
    assert not row.setup_complete
    assert row.cadence == Cadence.DAILY  # all or nothing
    assert SetupDraft.objects.get().step == "engine"


def test_running_the_wizard_again_starts_from_the_current_values(staff_client):
    dream_settings_update(
        enabled=False,
        cadence=Cadence.DAILY,
        daily_at=time(4, 30),
        time_zone="Asia/Tokyo",
        min_new_moments=9,
    )
    loop_timing_update(cognitive_cycle_ms=7000, dream_cycle_ms=30000, session_timeout_ms=None)
    walk_to(staff_client, "cadence")
    cadence = text(staff_client.get("/setup/cadence/"))
    assert 'name="enabled"' in cadence
    assert "checked" not in re.search(r'<input type="checkbox" name="enabled"[^>]*>', cadence)[0]
    assert 'name="daily_at" value="04:30"' in cadence
    assert '<option value="Asia/Tokyo" selected>' in cadence
    assert 'name="min_new_moments" value="9"' in cadence
    walk_to(staff_client, "engine")
    engine = text(staff_client.get("/setup/engine/"))
    assert re.search(r'id="engine-offline" value="offline" checked', engine)
    # Back to the timing with the previous input: the stored values, the environment's default
    # for the one not stored.
    staff_client.post("/setup/restart/")
    post(staff_client, "welcome")
    post(staff_client, "cadence", CADENCE)
    post(staff_client, "engine", {"engine": "offline"})
    timing = text(staff_client.get("/setup/timing/"))
    assert 'name="cognitive_cycle_ms" value="7000"' in timing
    assert 'name="dream_cycle_ms" value="30000"' in timing
    assert 'name="session_timeout_ms" value="60000"' in timing


# -- the activation gate -------------------------------------------------------------


def test_dream_runs_wait_for_setup_then_start(staff_client, scheduler_checking):
    moments_seed(count=12, seed=2)
    before = run_dream(trigger=Trigger.CLI, force=True)
    assert (before.status, before.reason) == (RunStatus.SKIPPED, RunReason.NOT_CONFIGURED)
    assert "/setup/" in run_reason_copy(before.reason)  # what every surface says of it
    health = dream_health()
    assert health.status == HealthStatus.NOT_CONFIGURED
    assert "/setup/" in health.fix_hint

    walk_to(staff_client, "review")
    post(staff_client, "review", action="finish")

    after = run_dream(trigger=Trigger.CLI, force=True)
    assert after.status == RunStatus.WRITTEN
    assert dream_health().status == HealthStatus.HEALTHY


def test_run_dream_says_how_to_finish_setup(db):
    out = io.StringIO()
    call_command("run_dream", "--force", stdout=out)
    assert re.search(
        r"Dream run \d+ skipped: not configured\. Finish the setup wizard at /setup/ to start "
        r"dreaming\.",
        out.getvalue(),
    )


def test_the_health_api_reports_setup_not_finished(client):
    body = client.get("/api/dream/health/").json()
    assert (body["status"], body["label"]) == ("not_configured", "Setup is not finished")


# -- live loop timing ----------------------------------------------------------------


def test_loop_timing_comes_from_the_database_else_from_the_environment(settings):
    settings.COGNITIVE_CYCLE_MS, settings.DREAM_CYCLE_MS = 5000, 20000
    settings.SESSION_TIMEOUT_MS, settings.DREAM_START_DELAY_MS = 60000, 1000
    assert DreamSettings.load().loop_timing == LoopTiming(5000, 20000, 60000, 1000)
    loop_timing_update(cognitive_cycle_ms=800, dream_cycle_ms=None, session_timeout_ms=9000)
    assert DreamSettings.load().loop_timing == LoopTiming(800, 20000, 9000, 1000)


def test_loop_timing_out_of_range_is_refused_by_the_service():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        loop_timing_update(cognitive_cycle_ms=499, dream_cycle_ms=1000, session_timeout_ms=5000)
    assert set(refused.value.message_dict) == {"cognitive_cycle_ms"}
    assert DreamSettings.load().cognitive_cycle_ms is None


def test_the_admin_saves_loop_timing_through_the_services(staff_client):
    row = DreamSettings.load()
    form = {
        "enabled": "on",
        "cadence": "daily",
        "daily_at": "02:15",
        "interval_hours": "24",
        "time_zone": "UTC",
        "min_new_moments": "5",
        "max_material": "200",
        "timeout_s": "180",
        "cognitive_cycle_ms": "1500",
        "dream_cycle_ms": "",
        "session_timeout_ms": "",
        **{name: str(weight) for name, weight in DEFAULT_PHASE_WEIGHTS.items()},
        **replay_admin_form(),
    }
    response = staff_client.post(f"/admin/dreams/dreamsettings/{row.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    row.refresh_from_db()
    assert (row.daily_at, row.cognitive_cycle_ms, row.dream_cycle_ms) == (time(2, 15), 1500, None)
    refused = staff_client.post(
        f"/admin/dreams/dreamsettings/{row.pk}/change/", {**form, "cognitive_cycle_ms": "10"}
    )
    assert refused.status_code == 200
    assert "greater than or equal to 500" in text(refused)
