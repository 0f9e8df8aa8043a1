"""Reads of the dream settings."""

from dreams.models import SETTABLE_FIELDS, DreamSettings, LoopTiming


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


def dream_settings_summary(row: DreamSettings) -> dict[str, object]:
    """The dream settings as plain data: what the command and the settings API show."""
    timing = row.loop_timing
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
    }
