"""The dashboard at `/`: who sees which controls, and the copy for every state."""

import re
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from dreams import dashboard
from dreams.models import DreamReview, DreamRun, MomentKind, RunReason, RunStatus, Trigger
from dreams.selectors.health import LABELS, DreamHealth, HealthStatus
from dreamsite.control import PUBLIC_DEMO_COPY, REMOTE_COPY
from engines import readiness
from engines.adapters.base import Check, ReadinessState
from engines.selection import engine_select
from tests.factories import make_moment

pytestmark = pytest.mark.django_db

CONTROLS = ['id="generate-dream"', 'id="select-engine"', 'name="engine"']


def page(client: Client, **extra: str) -> str:
    response = client.get("/", **extra)
    assert response.status_code == 200
    return response.content.decode()


def has_controls(html: str) -> bool:
    present = [control in html for control in CONTROLS]
    assert len(set(present)) == 1, f"some controls but not all: {present}"
    return present[0]


def generate_button(html: str) -> str:
    return re.search(r'<button[^>]*id="generate-dream"[^>]*>', html).group(0)


def make_run(**fields: object) -> DreamRun:
    defaults: dict[str, object] = {"trigger": Trigger.DASHBOARD, "engine": "offline"}
    if fields.get("status", RunStatus.RUNNING) != RunStatus.RUNNING:
        defaults.update(finished_at=timezone.now(), duration_ms=1200)
    return DreamRun.objects.create(**{**defaults, **fields})


def test_anonymous_visitors_see_everything_read_only(client):
    html = page(client)
    assert not has_controls(html)
    assert "Log in as staff" in html
    assert "Finish setup" not in html
    assert "Offline (built in)" in html and "badge-ready" in html
    assert "Nothing leaves this server" in html  # the disclosure
    assert "Set ANTHROPIC_API_KEY" in html  # a fix hint
    assert 'id="dream-status"' in html  # progress of runs started elsewhere shows too


def test_staff_see_the_controls(staff_client, setup_done):
    html = page(staff_client)
    assert has_controls(html)
    assert "disabled" not in generate_button(html)
    # Only ready engines can be chosen.
    assert re.search(r'id="engine-offline"[^>]*checked', html)
    assert re.search(r'id="engine-anthropic"[^>]*disabled', html)
    assert re.search(r'id="engine-hermes"[^>]*disabled', html)


def test_public_demo_mode_hides_every_control_and_says_why(staff_client, settings):
    settings.DREAMS_PUBLIC_DEMO = True
    html = page(staff_client)
    assert not has_controls(html)
    assert PUBLIC_DEMO_COPY in html
    assert "csrfmiddlewaretoken" not in html.split('<main id="content">')[1]


def test_staff_away_from_the_server_are_told_why_there_are_no_controls(staff_client):
    html = page(staff_client, REMOTE_ADDR="203.0.113.9")
    assert not has_controls(html)
    assert REMOTE_COPY in html


def test_before_setup_the_button_is_disabled_and_setup_is_asked_for(staff_client):
    html = page(staff_client)
    assert "disabled" in generate_button(html)
    assert LABELS[HealthStatus.NOT_CONFIGURED] in html
    assert re.search(r'<a class="button" href="/setup/">Finish setup</a>', html)
    assert 'data-ready-to-dream="false"' in html


def test_no_ready_engine_is_explained(staff_client, setup_done, monkeypatch):
    engine_select(engine="offline", source="cli")

    class NothingReady:
        def check(self, env: object) -> Check:
            return Check(ReadinessState.NOT_INSTALLED, "Install it, then reload.")

    monkeypatch.setattr(readiness, "adapter_for", lambda engine_id: NothingReady())
    readiness.readiness_cache_clear()
    html = page(staff_client)
    assert dashboard.NO_READY_ENGINE_COPY in html
    assert LABELS[HealthStatus.ENGINE_NOT_READY] in html
    assert "Install it, then reload." in html
    assert "disabled" in generate_button(html)
    assert not re.search(r'name="engine"(?![^>]*disabled)[^>]*>', html)


@pytest.mark.parametrize("status", list(HealthStatus))
def test_every_health_state_shows_its_label_and_fix_hint(staff_client, monkeypatch, status):
    hint = f"What to do when {status.value}: run `python manage.py dream_status`."
    health = DreamHealth(status, hint, None, None, None)
    monkeypatch.setattr(dashboard, "dream_health", lambda: health)
    html = page(staff_client)
    assert LABELS[status] in html
    assert "run <code>python manage.py dream_status</code>." in html
    assert f"badge-{dashboard.HEALTH_BADGE[status]}" in html


def test_a_run_in_flight_disables_the_button_and_shows_its_stage(staff_client, setup_done):
    run = make_run(trigger=Trigger.SCHEDULE, stage="dreaming")
    html = page(staff_client)
    assert "disabled" in generate_button(html)
    assert f'data-running-run="{run.pk}"' in html
    assert dashboard.STAGE_COPY["dreaming"] in html


@pytest.mark.parametrize(
    ("status", "reason", "detail"),
    [
        (RunStatus.SKIPPED, RunReason.NO_MATERIAL, "2 new moments since the last dream; 5 needed."),
        (RunStatus.SKIPPED, RunReason.NOT_CONFIGURED, "Finish the setup wizard."),
        (RunStatus.SKIPPED, RunReason.ALREADY_RUNNING, "Dream run 7 is in progress."),
        (RunStatus.FAILED, RunReason.TIMEOUT, "No answer within 180 s."),
        (RunStatus.FAILED, RunReason.ENGINE_ERROR, "The provider refused the request."),
        (RunStatus.FAILED, RunReason.ENGINE_NOT_READY, "Set ANTHROPIC_API_KEY, then reload."),
        (RunStatus.FAILED, RunReason.INVALID_OUTPUT, "The answer had no themes."),
        (RunStatus.ABANDONED, RunReason.LEASE_EXPIRED, ""),
    ],
)
def test_the_last_run_outcome_says_what_to_do(staff_client, setup_done, status, reason, detail):
    run = make_run(status=status, reason=reason, detail=detail)
    html = page(staff_client)
    outcome = f"{dashboard.OUTCOME_COPY[reason]} {detail}".strip()
    assert f'data-last-run="{run.pk}"' in html
    assert outcome.replace("`", "") in re.sub(r"</?code>", "", html.replace("&#x27;", "'"))
    assert "disabled" not in generate_button(html)


def test_run_history_lists_recent_runs_without_not_due_skips(client):
    make_run(trigger=Trigger.SCHEDULE, status=RunStatus.SKIPPED, reason=RunReason.NOT_DUE)
    make_run(status=RunStatus.FAILED, reason=RunReason.TIMEOUT, duration_ms=180_000)
    html = page(client)
    rows = re.findall(r'<tr data-run="\d+">', html)
    assert len(rows) == 1
    assert "180.0 s" in html
    assert dashboard.OUTCOME_COPY[RunReason.TIMEOUT] in html


def test_the_latest_review_links_its_themes_to_the_moments_they_cite(client):
    cited = [make_moment(sigil_phrase=f"cited {index}") for index in range(8)]
    dream = make_moment(kind=MomentKind.DREAM, sigil_phrase="river, threshold")
    review = DreamReview.objects.create(
        sequence=1,
        title="A dream of rivers",
        narrative="I went back through the day.",
        themes=[
            {"name": "rivers", "summary": "Water again.", "moment_ids": [m.pk for m in cited]},
            {"name": "gone", "summary": "A moment pruned since.", "moment_ids": [999_999]},
        ],
        moment=dream,
        engine="offline",
        material_count=8,
        material_through_cycle=max(m.cycle for m in cited),
    )
    html = page(client)
    assert review.title in html and "river, threshold" in html
    for moment in cited[: dashboard.CITED_MOMENTS_SHOWN]:
        assert f'href="/api/moments/{moment.pk}/"' in html
    assert f"and {len(cited) - dashboard.CITED_MOMENTS_SHOWN} more" in html
    assert "/api/moments/999999/" not in html
    assert 'id="review-sigil-commands"' in html  # the canvas draws the normalized commands


def test_no_review_yet_says_so(client):
    assert "No dream has been written yet." in page(client)


def test_the_page_carries_no_secret_env_value_or_path(staff_client, setup_done, engine_env):
    key = "sk-ant-dashboard-secret-value-0123456789"
    engine_env(ANTHROPIC_API_KEY=key, ANTHROPIC_BASE_URL="http://10.1.2.3:8080/private")
    make_run(
        status=RunStatus.WRITTEN,
        started_at=timezone.now() - timedelta(minutes=1),
        warnings=["first answer invalid"],
    )
    html = page(staff_client)
    assert key not in html
    assert "10.1.2.3" not in html
    assert str(django_settings.BASE_DIR) not in html
    assert django_settings.SECRET_KEY not in html
