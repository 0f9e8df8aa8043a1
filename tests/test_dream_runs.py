import time
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from dreams.models import (
    ContinuityThread,
    DreamReview,
    DreamRun,
    DreamSettings,
    MindMoment,
    MomentKind,
    RunStatus,
    SchedulerSource,
    ThreadStatus,
    Trigger,
)
from dreams.selectors.dream_runs import latest_review
from dreams.selectors.health import HealthStatus, dream_health
from dreams.services.dream_runs import run_dream
from dreams.services.scheduler import scheduler_heartbeat
from dreams.services.seeding import moments_seed
from engines.adapters.base import READY, Answer
from engines.contracts import DreamDraft
from engines.errors import EngineError, EngineOutputInvalid, EngineTimeout
from engines.models import SelectionSource
from engines.selection import engine_select

# Setup is finished here: the gate before it is tested in test_setup_wizard.py.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("setup_done")]

SIGIL = "ctx.beginPath(); ctx.arc(50, 50, 20, 0, Math.PI * 2); ctx.stroke();"


class StubEngine:
    """An engine whose dream is scripted by the test."""

    def __init__(self, behaviour):
        self.behaviour = behaviour
        self.calls = 0
        self.voices = []

    def dream(self, material, continuity, *, voice):
        self.calls += 1
        self.voices.append(voice)
        return self.behaviour(self, material, continuity)


@pytest.fixture
def stub_engine(monkeypatch):
    """Replace the offline engine's dreaming with a scripted one; returns a setter."""
    from engines import services

    engine = StubEngine(lambda self, material, continuity: None)

    class StubAdapter:
        def check(self, env):
            return READY

        def engine(self, *, model, timeout, env):
            engine.timeout = timeout
            return engine

    monkeypatch.setattr(services, "adapter_for", lambda engine_id: StubAdapter())

    def script(behaviour):
        engine.behaviour = behaviour
        return engine

    return script


def valid_draft(material, threads=("the sea",)):
    return Answer(
        DreamDraft.model_validate(
            {
                "title": "Tides",
                "narrative": "The water kept returning.",
                "themes": [{"name": "sea", "summary": "waves", "moment_ids": [material[0].id]}],
                "threads": [{"name": name} for name in threads],
                "sigil_phrase": "tide",
                "sigil_code": SIGIL,
                "circumplex": {"valence": 0.2, "arousal": -0.1},
            }
        )
    )


@pytest.fixture
def material():
    moments_seed(count=20, seed=3)


def test_a_forced_run_writes_a_review_a_dream_moment_and_the_run_record(material):
    run = run_dream(trigger=Trigger.CLI, force=True)
    assert (run.status, run.reason, run.engine) == (RunStatus.WRITTEN, "", "offline")
    review = run.review
    assert review.sequence == 1
    assert 1 <= len(review.themes) <= 5
    material_ids = set(
        MindMoment.objects.exclude(kind=MomentKind.DREAM).values_list("id", flat=True)
    )
    assert review.cited_moment_ids() <= material_ids
    assert review.moment.kind == MomentKind.DREAM
    assert review.moment.has_sigil
    assert review.moment.cycle == MindMoment.objects.order_by("-cycle").first().cycle
    assert run.material_count == 20
    assert run.finished_at and run.duration_ms is not None


def test_the_next_dream_needs_new_material(material):
    run_dream(trigger=Trigger.CLI, force=True)
    again = run_dream(trigger=Trigger.CLI, force=True)
    assert (again.status, again.reason) == (RunStatus.SKIPPED, "no_material")
    moments_seed(count=5, seed=4)
    assert run_dream(trigger=Trigger.CLI, force=True).status == RunStatus.WRITTEN


def test_material_is_capped_to_the_most_salient_with_a_warning(material):
    settings = DreamSettings.load()
    settings.max_material = 8
    settings.save()
    run = run_dream(trigger=Trigger.CLI, force=True)
    assert run.material_count == 8
    assert any("8 most salient" in warning for warning in run.warnings)
    cited = MindMoment.objects.filter(pk__in=run.review.cited_moment_ids())
    calm = MindMoment.objects.exclude(kind=MomentKind.DREAM).order_by("valence")[0]
    assert all(abs(m.valence) + abs(m.arousal) > 0 for m in cited)
    assert calm.pk not in run.review.cited_moment_ids() or calm.valence != 0


def test_disabled_dreaming_is_recorded_as_skipped(material):
    settings = DreamSettings.load()
    settings.enabled = False
    settings.save()
    run = run_dream(trigger=Trigger.SCHEDULE, force=True)
    assert (run.status, run.reason) == (RunStatus.SKIPPED, "disabled")


def test_a_scheduled_run_waits_for_its_slot(material):
    settings = DreamSettings.load()
    settings.daily_at = (timezone.now() + timedelta(hours=2)).astimezone(settings.zone).time()
    settings.save()
    first = run_dream(trigger=Trigger.SCHEDULE)
    assert first.status == RunStatus.WRITTEN  # yesterday's slot was never dreamed
    second = run_dream(trigger=Trigger.SCHEDULE)
    assert (second.status, second.reason) == (RunStatus.SKIPPED, "not_due")


def test_a_dry_run_reports_without_writing(material):
    run = run_dream(trigger=Trigger.CLI, force=True, dry_run=True)
    assert run.status == RunStatus.WRITTEN and run.dry_run
    assert run.outcome["title"]
    assert run.review is None
    assert not DreamReview.objects.exists()
    assert not MindMoment.objects.filter(kind=MomentKind.DREAM).exists()


@pytest.mark.parametrize(
    ("behaviour", "reason", "calls"),
    [
        (
            lambda self, m, c: (_ for _ in ()).throw(EngineError("provider exploded")),
            "engine_error",
            1,
        ),
        (
            lambda self, m, c: (_ for _ in ()).throw(EngineOutputInvalid("no json")),
            "invalid_output",
            2,
        ),
        # The engine enforces its time limit where it makes the call.
        (
            lambda self, m, c: (_ for _ in ()).throw(EngineTimeout(f"{self.timeout:g} s")),
            "timeout",
            1,
        ),
    ],
)
def test_failures_write_only_the_run_record_and_keep_the_previous_review(
    material, stub_engine, behaviour, reason, calls
):
    engine = stub_engine(lambda self, m, c: valid_draft(m))
    first = run_dream(trigger=Trigger.CLI, force=True)
    assert first.status == RunStatus.WRITTEN
    moments_seed(count=10, seed=9)
    settings = DreamSettings.load()
    settings.timeout_s = 5
    settings.save()
    engine.behaviour = behaviour
    engine.calls = 0
    dream_moments = MindMoment.objects.filter(kind=MomentKind.DREAM).count()

    failed = run_dream(trigger=Trigger.SCHEDULE, force=True)
    assert (failed.status, failed.reason) == (RunStatus.FAILED, reason)
    assert engine.calls == calls
    assert failed.detail and "Traceback" not in failed.detail
    assert latest_review() == first.review
    assert DreamReview.objects.count() == 1
    assert MindMoment.objects.filter(kind=MomentKind.DREAM).count() == dream_moments
    assert not DreamRun.objects.filter(status=RunStatus.RUNNING).exists()


def test_the_engine_is_given_what_remains_of_the_time_limit(material, stub_engine):
    settings = DreamSettings.load()
    settings.timeout_s = 7
    settings.save()

    def slow_invalid(self, material, continuity):
        time.sleep(0.3)
        raise EngineOutputInvalid("prose")

    engine = stub_engine(slow_invalid)
    run_dream(trigger=Trigger.CLI, force=True)
    # The retry gets the time the first attempt left, not a new time limit.
    assert 6 <= engine.timeout < 7


def test_invalid_output_once_is_retried_and_written_with_a_warning(material, stub_engine):
    def flaky(self, material, continuity):
        if self.calls == 1:
            raise EngineOutputInvalid("answer was prose")
        return valid_draft(material)

    stub_engine(flaky)
    run = run_dream(trigger=Trigger.CLI, force=True)
    assert run.status == RunStatus.WRITTEN
    assert any("asked again" in warning for warning in run.warnings)


def test_themes_citing_moments_outside_the_material_are_invalid(material, stub_engine):
    def citing_strangers(self, material, continuity):
        answer = valid_draft(material)
        answer.draft.themes[0].moment_ids.append(999_999)
        return answer

    stub_engine(citing_strangers)
    run = run_dream(trigger=Trigger.CLI, force=True)
    assert (run.status, run.reason) == (RunStatus.FAILED, "invalid_output")
    assert "999999" in run.detail


def test_a_not_ready_engine_fails_the_run_with_its_fix_hint(material):
    engine_select(engine="anthropic", source=SelectionSource.ADMIN, allow_not_ready=True)
    run = run_dream(trigger=Trigger.SCHEDULE, force=True)
    assert (run.status, run.reason, run.engine) == (
        RunStatus.FAILED,
        "engine_not_ready",
        "anthropic",
    )
    assert "ANTHROPIC_API_KEY" in run.detail
    assert dream_health().status == HealthStatus.ENGINE_NOT_READY


def test_no_material_is_a_skip_that_keeps_the_slot_open():
    moments_seed(count=2, seed=1)
    run = run_dream(trigger=Trigger.SCHEDULE)
    assert (run.status, run.reason) == (RunStatus.SKIPPED, "no_material")
    moments_seed(count=5, seed=2)
    assert run_dream(trigger=Trigger.SCHEDULE).status == RunStatus.WRITTEN


@pytest.mark.parametrize(
    "trigger", [Trigger.SCHEDULE, Trigger.DASHBOARD, Trigger.ADMIN, Trigger.CLI]
)
def test_every_trigger_uses_the_selected_engine(material, stub_engine, trigger):
    engine = stub_engine(lambda self, m, c: valid_draft(m))
    engine_select(engine="offline", model="nightly", source=SelectionSource.API)
    run = run_dream(trigger=trigger, force=True)
    assert (run.engine, run.model) == ("offline", "nightly")
    assert engine.calls == 1
    assert run.review.engine == "offline"


def test_continuity_threads_are_new_recurring_resurfaced_and_faded(material, stub_engine):
    plan = iter([("sea", "clock"), ("sea",), ("crowd",), ("crowd",), ("crowd",), ("sea",)])
    stub_engine(lambda self, m, c: valid_draft(m, threads=next(plan)))
    statuses = []
    for index in range(6):
        if index:
            moments_seed(count=5, seed=100 + index)
        run_dream(trigger=Trigger.CLI, force=True)
        statuses.append({t.name: t.status for t in ContinuityThread.objects.all()})
    assert statuses[0] == {"sea": ThreadStatus.NEW, "clock": ThreadStatus.NEW}
    assert statuses[1]["sea"] == ThreadStatus.RECURRING
    assert statuses[3]["clock"] == ThreadStatus.FADED
    assert statuses[5]["sea"] == ThreadStatus.RESURFACED
    sea = ContinuityThread.objects.get(name="sea")
    assert sea.times_seen == 3


def test_open_threads_are_given_to_the_engine(material, stub_engine):
    seen = []

    def remembering(self, material, continuity):
        seen.append([thread.name for thread in continuity])
        return valid_draft(material)

    stub_engine(remembering)
    run_dream(trigger=Trigger.CLI, force=True)
    moments_seed(count=5, seed=11)
    run_dream(trigger=Trigger.CLI, force=True)
    assert seen == [[], ["the sea"]]


def scheduler_checked(at=None):
    scheduler_heartbeat(source=SchedulerSource.EMBEDDED, interval_s=60, at=at)


def test_health_moves_from_never_ran_to_healthy_to_stale(material):
    scheduler_checked()
    assert dream_health().status == HealthStatus.NEVER_RAN
    run_dream(trigger=Trigger.DASHBOARD, force=True)
    assert dream_health().status == HealthStatus.HEALTHY
    later = timezone.now() + timedelta(days=3)
    settings = DreamSettings.load()
    DreamSettings.objects.filter(pk=settings.pk).update(created_at=later)  # no missed slot
    scheduler_checked(at=later)
    health = dream_health(now=later)
    assert health.status == HealthStatus.STALE
    assert "last dream was written" in health.fix_hint


def test_a_missed_scheduled_slot_is_a_silent_failure():
    settings = DreamSettings.load()
    # Clocks set from the daily slot, so the outcome does not hang on the hour the suite runs.
    slot = settings.slot_start(timezone.now())
    DreamSettings.objects.filter(pk=settings.pk).update(created_at=slot - timedelta(days=3))
    within_grace = slot + timedelta(minutes=10)
    scheduler_checked(at=within_grace)
    assert dream_health(now=within_grace).status == HealthStatus.NEVER_RAN
    now = slot + timedelta(hours=1)
    scheduler_checked(at=now)
    health = dream_health(now=now)
    assert health.status == HealthStatus.SILENT_FAILURE
    assert "install_dream_cron" in health.fix_hint


def test_three_failed_scheduled_runs_are_a_silent_failure(material, stub_engine):
    stub_engine(lambda self, m, c: (_ for _ in ()).throw(EngineError("down")))
    for _ in range(3):
        run_dream(trigger=Trigger.SCHEDULE, force=True)
    scheduler_checked()
    health = dream_health()
    assert health.status == HealthStatus.SILENT_FAILURE
    assert "last 3 scheduled dreams failed" in health.fix_hint


def test_daily_slots_follow_the_dream_time_zone():
    settings = DreamSettings(time_zone="Europe/Berlin", daily_at=datetime(2000, 1, 1, 3, 0).time())
    now = datetime(2026, 7, 1, 0, 30, tzinfo=UTC)  # 02:30 in Berlin (summer time)
    assert settings.slot_start(now) == datetime(2026, 6, 30, 1, 0, tzinfo=UTC)
    assert settings.next_slot(now) == datetime(2026, 7, 1, 1, 0, tzinfo=UTC)
