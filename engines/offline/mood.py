"""The circumplex put into words, and the mood of a moment or of many."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from dreams.emotion import clamp_unit
from engines.contracts import MomentContext, PerceptInput

# With no reading of its own, a moment keeps a fading share of the recent mood.
_LINGERING_MOOD = 0.25
_QUIET_AROUSAL = -0.2
# Readings within this distance of zero count as neutral when putting a mood into words.
_NEUTRAL_BAND = 0.15


# (mood adjective, a sentence of the moment feeling it), by sign of valence and arousal.
MOODS: dict[tuple[int, int], tuple[str, str]] = {
    (1, 1): ("bright and lively", "Something bright and quick moves in me."),
    (1, 0): ("warm", "It leaves me quietly glad."),
    (1, -1): ("calm and warm", "It settles in me, calm and warm."),
    (0, 1): ("charged", "The air feels charged."),
    (0, 0): ("steady", "I hold it evenly, leaning neither way."),
    (0, -1): ("still", "Everything feels slow and still."),
    (-1, 1): ("tense", "Something in it puts me on edge."),
    (-1, 0): ("heavy", "It sits heavily with me."),
    (-1, -1): ("low and grey", "It leaves a low, grey weight behind."),
}


def mood_key(valence: float, arousal: float) -> tuple[int, int]:
    def sign(value: float) -> int:
        return 0 if abs(value) < _NEUTRAL_BAND else (1 if value > 0 else -1)

    return sign(valence), sign(arousal)


def mood_of(valence: float, arousal: float) -> str:
    return MOODS[mood_key(valence, arousal)][0]


def _mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None


def moment_circumplex(
    percepts: Sequence[PerceptInput], prior_moments: Sequence[MomentContext]
) -> tuple[float, float]:
    """The mean of the percepts' readings; without any, a fading share of the recent mood
    (and, when nothing is perceived at all, a lower arousal: the room is quiet)."""
    reading = []
    for axis in ("valence", "arousal"):
        value = _mean(
            getattr(percept, axis) for percept in percepts if getattr(percept, axis) is not None
        )
        if value is None:
            value = _LINGERING_MOOD * (
                _mean(getattr(moment, axis) for moment in prior_moments) or 0.0
            )
            if not percepts and axis == "arousal":
                value += _QUIET_AROUSAL
        reading.append(round(clamp_unit(value), 3))
    return reading[0], reading[1]


def mean_circumplex(moments: Sequence[MomentContext]) -> tuple[float, float]:
    return (
        round(clamp_unit(_mean(moment.valence for moment in moments) or 0.0), 3),
        round(clamp_unit(_mean(moment.arousal for moment in moments) or 0.0), 3),
    )
