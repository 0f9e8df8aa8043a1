"""Reads of the dream settings."""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from dreams.models import SETTABLE_FIELDS, ContinuityThread, DreamSettings, LoopTiming, MomentKind
from dreams.replay import MODE_LABELS, ReplayMode, ReplayPlan, ThemeFilter
from dreams.selectors.dream_runs import latest_review

# The circumplex's poles, as an operator would name a region: (below 0, above 0).
AXIS_POLES = {"valence": ("unpleasant", "pleasant"), "arousal": ("calm", "excited")}


def phase_timeline_in_force(timing: LoopTiming) -> dict[str, dict[str, int]]:
    """Each loop's display phases and their lengths in milliseconds, in order."""
    return {
        loop: {str(slot.phase): slot.duration_ms for slot in slots}
        for loop, slots in (("dream", timing.dream_phases), ("cognitive", timing.cognitive_phases))
    }


def phase_timeline_words(timeline: dict[str, dict[str, int]]) -> str:
    """`phase_timeline_in_force` on one line: "dream: PERCEPTS 11666 ms, ...; cognitive: ..."."""
    return "; ".join(
        f"{loop}: " + ", ".join(f"{phase} {ms} ms" for phase, ms in phases.items())
        for loop, phases in timeline.items()
    )


@dataclass(frozen=True)
class ReplayWords:
    """The dream loop's replay mode as the dashboard and the command say it: its short
    label ("a theme") and its parameters in words."""

    mode: str
    label: str
    parameters: str


def _number(value: float) -> str:
    return f"{value:g}"


def _axis_words(axis: str, low: float | None, high: float | None) -> str | None:
    """ "valence 0.2 to 1 (pleasant)", "arousal up to 0 (calm)"; None when unbounded."""
    if low is None and high is None:
        return None
    if low is None:
        span = f"up to {_number(high or 0.0)}"
    elif high is None:
        span = f"from {_number(low)}"
    else:
        span = f"{_number(low)} to {_number(high)}"
    below, above = AXIS_POLES[axis]
    lowest, highest = -1.0 if low is None else low, 1.0 if high is None else high
    if lowest >= 0:
        poles = above
    elif highest <= 0:
        poles = below
    else:
        poles = f"{below} to {above}"
    return f"{axis} {span} ({poles})"


def _when(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    day = f"{local.day} {local:%b %Y}"
    return day if (local.hour, local.minute) == (0, 0) else f"{day}, {local:%H:%M}"


def _theme_words(theme: ThemeFilter, zone: ZoneInfo) -> str:
    parts = [
        _axis_words("valence", theme.valence_min, theme.valence_max),
        _axis_words("arousal", theme.arousal_min, theme.arousal_max),
    ]
    if theme.since and theme.until:
        parts.append(f"from {_when(theme.since, zone)} to {_when(theme.until, zone)}")
    elif theme.since:
        parts.append(f"since {_when(theme.since, zone)}")
    elif theme.until:
        parts.append(f"until {_when(theme.until, zone)}")
    if theme.kind:
        parts.append(f"only {MomentKind(theme.kind).label.lower()} moments")
    if theme.thread:
        name = (
            ContinuityThread.objects.filter(key=theme.thread).values_list("name", flat=True).first()
        )
        parts.append(f"the thread “{name or theme.thread}”")
    shown = [part for part in parts if part]
    if not shown:
        return "Theme: nothing set yet, so every moment belongs to it."
    return "Theme: " + ", ".join(shown) + "."


def _salience_words(plan: ReplayPlan) -> str:
    weights = plan.salience
    half_life = weights.half_life_hours
    when = f"{half_life / 24:g} days" if half_life % 24 == 0 else f"{half_life:g} hours"
    return (
        f"Weights: emotional intensity {_number(weights.intensity)}, recency "
        f"{_number(weights.recency)} (halving every {when}), rarity of resurfacing "
        f"{_number(weights.rarity)}."
    )


def replay_words(row: DreamSettings) -> ReplayWords:
    """The replay mode in force and its parameters, in words."""
    plan = row.replay_plan
    if plan.mode == ReplayMode.THEME:
        parameters = _theme_words(plan.theme, row.zone)
    elif plan.mode == ReplayMode.SEQUENCE:
        parameters = (
            f"Runs of {plan.sequence_length} consecutive moments, in order, then a jump to "
            "a new random start."
        )
    elif plan.mode == ReplayMode.SALIENCE:
        parameters = _salience_words(plan)
    elif plan.mode == ReplayMode.LAST_DREAM:
        review = latest_review()
        parameters = (
            f"The moments cited by dream {review.sequence}, “{review.title}”, theme by theme."
            if review
            else "No dream has been written yet: generate one, and its themes are replayed."
        )
    else:
        parameters = "Any moment with a sigil, each as likely."
    return ReplayWords(plan.mode, MODE_LABELS.get(plan.mode, plan.mode), parameters)


def dream_settings_summary(row: DreamSettings) -> dict[str, object]:
    """The dream settings as plain data: what the command and the settings API show."""
    timing = row.loop_timing
    replay = replay_words(row)
    return {
        **{name: getattr(row, name) for name in SETTABLE_FIELDS},
        "setup_complete": row.setup_complete,
        "setup_completed_at": row.setup_completed_at,
        "cadence_label": row.cadence_description,
        "loop_timing_in_force": {
            "cognitive_cycle_ms": timing.cognitive_cycle_ms,
            "dream_cycle_ms": timing.dream_cycle_ms,
            "session_timeout_ms": timing.session_timeout_ms,
        },
        "phase_timeline_in_force": phase_timeline_in_force(timing),
        "replay_label": replay.label,
        "replay_parameters": replay.parameters,
    }
