"""The dashboard at `/`: who sees which controls, and the copy for every state."""

import re
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from dreams import dashboard
from dreams.models import (
    DreamReview,
    DreamRun,
    MindMoment,
    MomentKind,
    RunReason,
    RunStatus,
    Trigger,
)
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
    assert dashboard.ENGINE_STATE_PUBLIC_COPY[ReadinessState.NEEDS_SETUP] in html
    assert 'id="dream-status"' in html  # progress of runs started elsewhere shows too


def visible_text(html: str) -> str:
    """What a visitor can read: the page without its tags, scripts and JSON islands."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


ENV_NAME = re.compile(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b")


def not_ready_engine_run_and_selection() -> None:
    """The selected engine cannot think, and the last run failed for that reason."""
    engine_select(engine="anthropic", source="cli", allow_not_ready=True)
    make_run(
        status=RunStatus.FAILED,
        reason=RunReason.ENGINE_NOT_READY,
        detail="Set ANTHROPIC_API_KEY in the server's environment, then reload.",
    )


def test_anonymous_visitors_read_no_environment_variable_or_reload_instruction(client, setup_done):
    not_ready_engine_run_and_selection()
    text = visible_text(page(client))
    assert LABELS[HealthStatus.ENGINE_NOT_READY] in text
    assert ENV_NAME.findall(text) == []
    assert "then reload" not in text
    assert dashboard.ENGINE_STATE_PUBLIC_COPY[ReadinessState.NEEDS_SETUP] in text


def test_staff_read_the_fix_hints_that_name_environment_variables(staff_client, setup_done):
    not_ready_engine_run_and_selection()
    text = visible_text(page(staff_client))
    assert "ANTHROPIC_API_KEY" in ENV_NAME.findall(text)
    assert "OPENAI_API_KEY" in ENV_NAME.findall(text)
    assert "then reload" in text


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


def make_review(
    *, cited: list[MindMoment], title: str = "A dream of rivers", **fields: object
) -> DreamReview:
    dream = make_moment(kind=MomentKind.DREAM, sigil_phrase="river, threshold")
    defaults: dict[str, object] = {
        "sequence": (DreamReview.objects.count() + 1),
        "narrative": "I went back through the day.",
        "themes": [
            {"name": "rivers", "summary": "Water again.", "moment_ids": [m.pk for m in cited]},
            {"name": "gone", "summary": "A moment pruned since.", "moment_ids": [999_999]},
        ],
        "engine": "offline",
        "material_count": len(cited),
        "material_through_cycle": max((m.cycle for m in cited), default=0),
    }
    return DreamReview.objects.create(title=title, moment=dream, **{**defaults, **fields})


def main_sections(html: str) -> list[str]:
    """The opening tags of the sections of the page's content, in order."""
    return re.findall(r"<section\b[^>]*>", html.split('<main id="content">')[1])


def test_the_dashboard_opens_with_the_latest_dream_and_its_title(client):
    review = make_review(cited=[make_moment() for _ in range(3)])
    html = page(client)
    first = main_sections(html)[0]
    assert 'id="latest-dream"' in first
    latest = html.split(first, 1)[1].split("</section>", 1)[0]
    assert review.title in latest
    assert f'href="/dreams/{review.pk}/"' in latest  # the whole dream, on its page


def test_the_latest_review_links_its_themes_to_the_moment_pages(client):
    cited = [make_moment(sigil_phrase=f"cited {index}") for index in range(8)]
    review = make_review(cited=cited)
    html = page(client)
    assert review.title in html and "river, threshold" in html
    for moment in cited[: dashboard.CITED_MOMENTS_SHOWN]:
        assert f'href="/moments/{moment.pk}/"' in html
    more = len(cited) - dashboard.CITED_MOMENTS_SHOWN
    assert re.search(rf'<a href="/dreams/{review.pk}/">and {more} more</a>', html)
    assert "/moments/999999/" not in html
    assert 'id="review-sigil-commands"' in html  # the canvas draws the normalized commands


def test_every_moment_link_goes_to_the_moment_page_not_the_api(client):
    recent = [make_moment() for _ in range(3)]
    make_review(cited=recent[:2])
    html = page(client)
    for moment in recent:
        assert f'href="/moments/{moment.pk}/"' in html
    # The API is for programs: its images may be shown, but no link leads to its JSON.
    assert re.findall(r'href="/api/moments/[^"]*"', html) == []


def test_the_start_of_a_long_narrative_is_shown_with_a_link_to_the_rest(client):
    paragraphs = [f"Paragraph {index}: " + "the river kept returning. " * 12 for index in range(8)]
    review = make_review(cited=[make_moment()], narrative="\n\n".join(paragraphs))
    html = page(client)
    assert "Paragraph 0:" in html
    assert "Paragraph 7:" not in html
    assert re.search(rf'<a href="/dreams/{review.pk}/">Read the whole dream</a>', html)


def test_a_dream_written_a_moment_ago_was_written_just_now(client, setup_done):
    make_review(cited=[make_moment()])
    make_run(status=RunStatus.WRITTEN, reason="")
    text = visible_text(page(client))
    assert "just now" in text
    assert "0 minutes" not in text


def test_no_review_yet_says_so(client):
    assert "No dream has been written yet." in page(client)


def test_before_setup_the_next_dream_waits_for_setup_not_a_time(client, staff_client):
    for html, link in ((page(client), False), (page(staff_client), True)):
        text = visible_text(html)
        assert "Dreams start once setup is finished" in text
        assert "When setup is finished" in text  # the health card's next dream
        assert not re.search(r"\bin \d+ (hour|minute)", text)
        assert ('<a href="/setup/">finish setup</a>' in html) is link


def test_with_no_dream_yet_visitors_read_when_the_next_one_is_due(client, setup_done):
    text = visible_text(page(client))
    assert "No dream has been written yet." in text
    assert "A dream is due now" in text  # nothing has dreamed in this slot yet
    make_run(status=RunStatus.FAILED, reason=RunReason.TIMEOUT)  # this slot's run
    text = visible_text(page(client))
    assert re.search(r"The next dream is due\s+in \d+\xa0?(hours?|minutes?)", text)


def test_with_no_dream_yet_staff_can_generate_one_from_the_empty_latest_dream(
    staff_client, setup_done
):
    html = page(staff_client)
    empty = html.split('id="latest-dream"', 1)[1].split("</section>", 1)[0]
    button = r'<button type="submit" form="dream-trigger"[^>]*>Generate dream</button>'
    assert re.search(button, empty)


def test_the_engine_panel_shows_the_selected_engine_and_folds_the_list(staff_client, setup_done):
    html = page(staff_client)
    panel = html.split('id="engine-heading"', 1)[1]
    current, folded = panel.split('<details class="engine-picker"', 1)
    assert "Offline (built in)" in current and "badge-ready" in current
    assert "Anthropic Claude (API)" not in current
    opening = folded.split(">", 1)[0]
    assert "open" not in opening  # folded until asked for
    assert 'id="change-engine">Change engine</summary>' in folded
    assert 'id="engine-anthropic"' in folded and 'id="engine-offline"' in folded


def test_staff_whose_engine_is_not_ready_find_the_list_open(staff_client, setup_done):
    engine_select(engine="anthropic", source="cli", allow_not_ready=True)
    html = page(staff_client)
    assert '<details class="engine-picker" open>' in html


def test_the_live_panel_says_no_cycle_yet_plainly(client):
    text = visible_text(page(client))
    assert "No cycle since this page opened" in text
    assert "None" not in text


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


def test_the_latest_dream_and_the_run_history_name_the_engine_as_the_pages_do(client):
    make_review(cited=[make_moment()])
    make_run(status=RunStatus.WRITTEN, reason="")
    make_run(status=RunStatus.WRITTEN, reason="", engine="retired-engine")
    html = page(client)
    latest = html.split('id="latest-dream"', 1)[1].split("</section>", 1)[0]
    assert re.search(r"Dream 1 · Offline \(built in\) · <time", latest)
    engines = re.findall(r'<td data-label="Engine">([^<]*)</td>', html)
    # An engine no longer in the registry keeps the name it was stored with.
    assert sorted(engines) == ["Offline (built in)", "retired-engine"]
    assert "· offline ·" not in html
