"""What the dream loop replays: the modes an operator chooses among, and the plan the
conductor follows (read from the dream settings, like the loop timing).

The picks themselves are reads (`dreams.selectors.replay`); the conductor's `Replayer`
keeps what a mode remembers from one tick to the next (the run of a sequence, the place in
the last dream's themes) and counts each replay for the resurfacing analytics.
"""

import math
from dataclasses import dataclass
from datetime import datetime

from django.db import models


class ReplayMode(models.TextChoices):
    UNIFORM = "uniform", "Uniform: any moment, each as likely"
    THEME = "theme", "Theme: moments of a region, a time, a kind or a thread"
    SEQUENCE = "sequence", "Sequence: runs of consecutive moments, in order"
    SALIENCE = "salience", "Salience: intense, recent and rarely replayed moments first"
    LAST_DREAM = "last_dream", "Last dream: the moments its themes cite, theme by theme"


# The dream settings each replay mode reads; the other modes ignore them.
REPLAY_PARAMETERS: dict[str, tuple[str, ...]] = {
    ReplayMode.UNIFORM: (),
    ReplayMode.THEME: (
        "theme_valence_min",
        "theme_valence_max",
        "theme_arousal_min",
        "theme_arousal_max",
        "theme_since",
        "theme_until",
        "theme_kind",
        "theme_thread",
    ),
    ReplayMode.SEQUENCE: ("sequence_length",),
    ReplayMode.SALIENCE: (
        "salience_intensity",
        "salience_recency",
        "salience_rarity",
        "salience_half_life_hours",
    ),
    ReplayMode.LAST_DREAM: (),
}
# Every dream setting of the dream loop's replay, the mode first.
REPLAY_FIELDS = ("replay_mode", *(name for names in REPLAY_PARAMETERS.values() for name in names))

# The modes' short names, for the observer's caption and the dashboard.
MODE_LABELS: dict[str, str] = {
    ReplayMode.UNIFORM: "any moment",
    ReplayMode.THEME: "a theme",
    ReplayMode.SEQUENCE: "a sequence",
    ReplayMode.SALIENCE: "by salience",
    ReplayMode.LAST_DREAM: "the last dream",
}


@dataclass(frozen=True)
class ThemeFilter:
    """The `theme` mode's selection; a bound left None does not restrict."""

    valence_min: float | None = None
    valence_max: float | None = None
    arousal_min: float | None = None
    arousal_max: float | None = None
    since: datetime | None = None
    until: datetime | None = None
    kind: str = ""
    thread: str = ""

    @property
    def restricts(self) -> bool:
        return self != ThemeFilter()


@dataclass(frozen=True)
class Salience:
    """The `salience` mode's weight of a moment, in (0, 1]:

        weight = (1 - a + a * intensity) * (1 - r + r * recency) * (1 - s + s * rarity)

    intensity = min(1, hypot(valence, arousal)), recency = 2 ** (-age / half_life),
    rarity = 1 / (1 + replays). Each of a, r, s (in [0, 0.95]) says how much its factor
    counts; 0 ignores it. Kept below 1 so that no moment's weight reaches 0: every moment
    can still resurface, and the pick's rejection sampling stays fast (its acceptance is
    at least (1 - a)(1 - r)(1 - s))."""

    intensity: float = 0.7
    recency: float = 0.5
    rarity: float = 0.7
    half_life_hours: float = 168.0

    def weight(self, *, valence: float, arousal: float, age_hours: float, replays: int) -> float:
        intensity = min(1.0, math.hypot(valence, arousal))
        recency = 2.0 ** (-max(0.0, age_hours) / self.half_life_hours)
        rarity = 1.0 / (1 + max(0, replays))
        return (
            (1 - self.intensity + self.intensity * intensity)
            * (1 - self.recency + self.recency * recency)
            * (1 - self.rarity + self.rarity * rarity)
        )


@dataclass(frozen=True)
class ReplayPlan:
    """The dream loop's mode and its parameters, as the dream settings hold them."""

    mode: str = ReplayMode.UNIFORM
    theme: ThemeFilter = ThemeFilter()
    sequence_length: int = 8
    salience: Salience = Salience()

    @property
    def label(self) -> str:
        return MODE_LABELS.get(self.mode, self.mode)


@dataclass(frozen=True)
class Replayed:
    """How the dream loop came to replay a moment: its mode, and for `last_dream` the
    theme's name, for `sequence` the place in the run and the run's length."""

    mode: str
    theme: str | None = None
    step: int | None = None
    length: int | None = None
