"""The dashboard's read model: what `/` shows, and the copy for every state it can be in.

Everything here is a read (a selector); the page's writes go through the same API as any
other client (`PUT /api/engines/selection/`, `POST /api/dream/runs/`, `PATCH
/api/settings/`). The copy tables are handed to the page's script as JSON too, so the
server's first paint and the live updates speak with one voice.
"""

from dataclasses import dataclass
from functools import cached_property

from dreams.models import (
    DreamReview,
    DreamRun,
    DreamSettings,
    MindMoment,
    Personality,
    RunStage,
    RunStatus,
)
from dreams.realtime.snapshot import observer_snapshot
from dreams.replay import ReplayMode
from dreams.run_reasons import OUTCOME_COPY
from dreams.selectors.dream_runs import dream_run_active, dream_run_history, latest_review
from dreams.selectors.dream_settings import ReplayWords, replay_words
from dreams.selectors.health import DreamHealth, HealthStatus, dream_health
from dreams.selectors.moments import moment_queryset, moments_by_id
from dreams.selectors.personalities import personality_active
from engines.adapters.base import ReadinessState
from engines.readiness import Readiness, all_engine_readiness
from engines.selection import SelectedEngine, selected_engine

RECENT_RUN_COUNT = 10
RECENT_MOMENT_COUNT = 12
# A theme cites up to 50 moments; the page shows the first few and counts the rest.
CITED_MOMENTS_SHOWN = 6

# What a running dream run is doing, by its `stage` (see dreams.services.dream_runs).
STAGE_COPY: dict[str, str] = {
    RunStage.QUEUED: "Waiting for the conductor to take the run...",
    RunStage.STARTING: "Gathering the moments to dream about...",
    RunStage.DREAMING: "The engine is dreaming...",
    RunStage.WRITING: "Writing the dream review...",
    RunStage.DONE: "Finishing...",
}

# The conductor's states, as an operator would say them.
STATE_COPY = {
    "IDLE": "Idle",
    "AGGREGATING": "Listening to sessions",
    "COGNIZING": "Thinking",
    "VISUALIZING": "Drawing a sigil",
    "DREAMING": "Dreaming (replaying past moments)",
}
NO_CONDUCTOR_COPY = "The conductor is not running"

NO_READY_ENGINE_COPY = (
    "No engine is ready, so the mind can neither think nor dream. Follow the fix hint of "
    "the engine you want to use, then reload this page."
)
# Fix hints name environment variables and commands on the server: only staff can act on
# them. Everyone else reads what the state means, plainly.
NO_READY_ENGINE_PUBLIC_COPY = (
    "No engine is set up on this server yet, so the mind can neither think nor dream."
)
ENGINE_STATE_PUBLIC_COPY: dict[str, str] = {
    ReadinessState.READY: "",
    ReadinessState.NEEDS_SETUP: "This engine is not set up on this server.",
    ReadinessState.NOT_INSTALLED: "This engine is not installed on this server.",
    ReadinessState.UNREACHABLE: "This engine cannot be reached from this server right now.",
    ReadinessState.UNSUPPORTED: "This engine cannot run on this server.",
}
# The start of a review's narrative the dashboard shows; the dream page has the rest.
NARRATIVE_START_CHARS = 600


def run_outcome(run: DreamRun) -> str:
    """A finished run's outcome as product copy; for a running run, its stage."""
    if not run.is_finished:
        return STAGE_COPY.get(run.stage, STAGE_COPY[RunStage.STARTING])
    base = OUTCOME_COPY.get(run.reason or run.status, run.get_reason_display())
    if run.status == RunStatus.WRITTEN or not run.detail:
        return base
    return f"{base} {run.detail}"


# Badge classes of site.css for run statuses and health states.
RUN_BADGE: dict[str, str] = {
    RunStatus.QUEUED: "running",
    RunStatus.RUNNING: "running",
    RunStatus.WRITTEN: "ok",
    RunStatus.SKIPPED: "skipped",
    RunStatus.FAILED: "failed",
    RunStatus.ABANDONED: "failed",
}
HEALTH_BADGE = {
    HealthStatus.HEALTHY: "ok",
    HealthStatus.NEVER_RAN: "warn",
    HealthStatus.NOT_CONFIGURED: "warn",
    HealthStatus.STALE: "stale",
    HealthStatus.SILENT_FAILURE: "error",
    HealthStatus.ENGINE_NOT_READY: "error",
    HealthStatus.NO_SCHEDULER: "error",
    HealthStatus.RUN_UNCLAIMED: "warn",
}


def public_engine_note(readiness: Readiness) -> str:
    """What an engine's state means, for visitors who cannot act on its fix hint."""
    return ENGINE_STATE_PUBLIC_COPY.get(readiness.state, "")


@dataclass(frozen=True)
class RunRow:
    run: DreamRun
    outcome: str
    badge: str
    duration: str
    # The outcome without the run's own detail (which may name a fix on the server).
    summary: str


def run_row(run: DreamRun) -> RunRow:
    duration = "" if run.duration_ms is None else f"{run.duration_ms / 1000:.1f} s"
    summary = run_outcome(run)
    if run.is_finished:
        summary = OUTCOME_COPY.get(run.reason or run.status, run.get_reason_display())
    return RunRow(run, run_outcome(run), RUN_BADGE.get(run.status, ""), duration, summary)


def narrative_start(narrative: str, limit: int = NARRATIVE_START_CHARS) -> tuple[str, bool]:
    """The first paragraphs of a narrative that fit in `limit` characters (at least the
    first, cut at a word), and whether anything was left out."""
    paragraphs = [part.strip() for part in narrative.split("\n\n") if part.strip()]
    if not paragraphs:
        return "", False
    kept = [paragraphs[0]]
    for paragraph in paragraphs[1:]:
        if sum(len(part) for part in kept) + len(paragraph) > limit:
            break
        kept.append(paragraph)
    text = "\n\n".join(kept)
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return text, len(kept) < len(paragraphs) or text.endswith("…")


@dataclass(frozen=True)
class CitedTheme:
    name: str
    summary: str
    moments: list[MindMoment]
    more: int


@dataclass(frozen=True)
class ReviewView:
    review: DreamReview
    themes: list[CitedTheme]

    @cached_property
    def narrative_start(self) -> tuple[str, bool]:
        return narrative_start(self.review.narrative)


def review_view(review: DreamReview) -> ReviewView:
    """A review with the moments each theme cites, fetched in one query."""
    shown = {
        theme_index: theme["moment_ids"][:CITED_MOMENTS_SHOWN]
        for theme_index, theme in enumerate(review.themes)
    }
    ids = {moment_id for moment_ids in shown.values() for moment_id in moment_ids}
    # A cited moment may have been deleted since (moments can be pruned in the admin).
    found = moments_by_id(ids)
    themes = [
        CitedTheme(
            name=theme["name"],
            summary=theme["summary"],
            moments=[found[moment_id] for moment_id in shown[index] if moment_id in found],
            more=max(0, len(theme["moment_ids"]) - CITED_MOMENTS_SHOWN),
        )
        for index, theme in enumerate(review.themes)
    ]
    return ReviewView(review, themes)


class Dashboard:
    """What the dashboard shows; each part is read only when the page uses it."""

    no_ready_engine_copy = NO_READY_ENGINE_COPY
    no_ready_engine_public_copy = NO_READY_ENGINE_PUBLIC_COPY

    @cached_property
    def engines(self) -> list[Readiness]:
        return all_engine_readiness()

    @cached_property
    def selection(self) -> SelectedEngine:
        return selected_engine()

    @cached_property
    def personality(self) -> Personality | None:
        return personality_active()

    @cached_property
    def any_engine_ready(self) -> bool:
        return any(readiness.ready for readiness in self.engines)

    @cached_property
    def health(self) -> DreamHealth:
        return dream_health()

    @cached_property
    def dream_settings(self) -> DreamSettings:
        return DreamSettings.load()

    @cached_property
    def replay(self) -> ReplayWords:
        """What the dream loop replays, in words."""
        return replay_words(self.dream_settings)

    replay_modes = ReplayMode.choices

    @cached_property
    def setup_complete(self) -> bool:
        return self.dream_settings.setup_complete

    @cached_property
    def selected_note(self) -> str:
        """The selected engine's state, for visitors who cannot act on its fix hint."""
        return public_engine_note(self.selection.readiness)

    @cached_property
    def engine_rows(self) -> list[tuple[Readiness, str]]:
        """Every engine with its state for visitors who cannot act on its fix hint."""
        return [(readiness, public_engine_note(readiness)) for readiness in self.engines]

    @cached_property
    def running_run(self) -> DreamRun | None:
        return dream_run_active()

    @cached_property
    def running_progress(self) -> str:
        return run_outcome(self.running_run) if self.running_run else ""

    @cached_property
    def last_run(self) -> DreamRun | None:
        return self.health.last_run

    @cached_property
    def last_run_row(self) -> RunRow | None:
        return run_row(self.last_run) if self.last_run else None

    @cached_property
    def health_badge(self) -> str:
        return HEALTH_BADGE.get(self.health.status, "warn")

    @cached_property
    def ready_to_dream(self) -> bool:
        """Whether a run could reach the engine, a run in progress aside."""
        return self.setup_complete and self.selection.ready

    @cached_property
    def can_generate(self) -> bool:
        return self.ready_to_dream and self.running_run is None

    @cached_property
    def recent_runs(self) -> list[RunRow]:
        """The latest runs; cron's frequent "not due" skips would hide everything else."""
        return [run_row(run) for run in dream_run_history()[:RECENT_RUN_COUNT]]

    @cached_property
    def recent_moments(self) -> list[MindMoment]:
        return list(moment_queryset()[:RECENT_MOMENT_COUNT])

    @cached_property
    def review(self) -> ReviewView | None:
        review = latest_review()
        return review_view(review) if review else None

    @cached_property
    def live(self) -> dict:
        """The observer snapshot (docs/events.md) the live section starts from."""
        return observer_snapshot()[1].wire()

    @cached_property
    def live_state(self) -> str:
        state = self.live["state"]
        return STATE_COPY.get(state, NO_CONDUCTOR_COPY) if state else NO_CONDUCTOR_COPY

    @cached_property
    def script_copy(self) -> dict:
        """The copy the page's script needs to describe live changes."""
        return {"stages": STAGE_COPY, "states": STATE_COPY, "noConductor": NO_CONDUCTOR_COPY}
