"""What the dream loop replays next, by the replay mode of the dream settings.

The picks are reads (`dreams.selectors.live`, `dreams.selectors.replay`); the `Replayer`
keeps what a mode carries from one tick to the next: the moment last replayed (never the
same twice in a row while another qualifies), the place in a sequence, the place in the
last dream's themes. It writes nothing: the conductor counts each replay in memory and
writes the counts in batches (`dreams.conductor.resurfacing`).
"""

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone

from dreams.models import MindMoment
from dreams.replay import Replayed, ReplayMode, ReplayPlan
from dreams.selectors.live import random_sigil_moment
from dreams.selectors.replay import (
    CitedTheme,
    cited_moment,
    latest_dream_themes,
    next_in_sequence,
    salient_moment,
    theme_moment,
)

dream_log = logging.getLogger("dreams.conductor.dream")

EMPTY_COPY: dict[str, str] = {
    ReplayMode.UNIFORM: "no moment has a sigil yet",
    ReplayMode.THEME: "the theme selects no moment with a sigil",
    ReplayMode.SEQUENCE: "no moment has a sigil yet",
    ReplayMode.SALIENCE: "no moment has a sigil yet",
    ReplayMode.LAST_DREAM: "there is no dream yet, or its themes cite no moment still kept",
}


@dataclass
class _SequenceRun:
    cycle: int
    step: int


@dataclass
class _DreamPlace:
    review_id: int
    theme: int
    position: int


class Replayer:
    def __init__(
        self,
        *,
        rng: random.Random | None = None,
        now: Callable[[], datetime] = timezone.now,
        using: str = DEFAULT_DB_ALIAS,
    ) -> None:
        self.rng = rng or random.Random()  # noqa: S311 - not a secret
        self.now = now
        self.using = using
        self.last_id: int | None = None
        self._run: _SequenceRun | None = None
        self._place: _DreamPlace | None = None
        # The latest dream's themes as last read: read again when a probe finds a newer one.
        self._dream: tuple[int, tuple[CitedTheme, ...]] | None = None
        # The plan whose empty selection was last logged: said once, not every tick.
        self._empty_plan: ReplayPlan | None = None

    def next(self, plan: ReplayPlan) -> tuple[MindMoment, Replayed] | None:
        """The moment to replay now and how it was chosen; None (logged once per plan)
        when the plan selects nothing."""
        picked = self._pick(plan)
        if picked is None:
            if self._empty_plan != plan:
                dream_log.info(
                    "[dream] Nothing to dream of yet in the %s mode: %s. The loop goes on.",
                    plan.mode,
                    EMPTY_COPY.get(plan.mode, "nothing qualifies"),
                )
                self._empty_plan = plan
            return None
        self._empty_plan = None
        moment, _ = picked
        self.last_id = moment.pk
        return picked

    def _pick(self, plan: ReplayPlan) -> tuple[MindMoment, Replayed] | None:
        if plan.mode != ReplayMode.SEQUENCE:
            self._run = None
        if plan.mode != ReplayMode.LAST_DREAM:
            self._place = None
        if plan.mode == ReplayMode.THEME:
            moment = theme_moment(
                plan.theme, exclude_id=self.last_id, rng=self.rng, using=self.using
            )
        elif plan.mode == ReplayMode.SALIENCE:
            moment = salient_moment(
                plan.salience,
                now=self.now(),
                exclude_id=self.last_id,
                rng=self.rng,
                using=self.using,
            )
        elif plan.mode == ReplayMode.SEQUENCE:
            return self._sequence(plan.sequence_length)
        elif plan.mode == ReplayMode.LAST_DREAM:
            return self._last_dream()
        else:
            moment = random_sigil_moment(exclude_id=self.last_id, rng=self.rng, using=self.using)
        return None if moment is None else (moment, Replayed(mode=plan.mode))

    def _sequence(self, length: int) -> tuple[MindMoment, Replayed] | None:
        """Consecutive moments in cycle order, `length` of them (fewer at the newest
        moment), then a jump to a random start."""
        moment = None
        if self._run is not None and self._run.step < length:
            moment = next_in_sequence(after_cycle=self._run.cycle, using=self.using)
        if moment is None:
            moment = random_sigil_moment(exclude_id=self.last_id, rng=self.rng, using=self.using)
            self._run = None if moment is None else _SequenceRun(moment.cycle, 1)
        else:
            assert self._run is not None
            self._run = _SequenceRun(moment.cycle, self._run.step + 1)
        if moment is None or self._run is None:
            return None
        return moment, Replayed(mode=ReplayMode.SEQUENCE, step=self._run.step, length=length)

    def _last_dream(self) -> tuple[MindMoment, Replayed] | None:
        """The latest dream's cited moments, theme by theme, each theme's oldest first; round
        again after the last. A moment no longer kept is passed over. A newer dream, seen
        by the probe that reads a cited moment, starts at its first theme."""
        # The dream as last read, then, should it no longer be the latest, the new one.
        for _ in range(2):
            self._dream = self._dream or latest_dream_themes(using=self.using)
            if self._dream is None:
                return None
            review_id, themes = self._dream
            if (picked := self._next_cited(review_id, themes)) is not None:
                return picked
        return None

    def _next_cited(
        self, review_id: int, themes: tuple[CitedTheme, ...]
    ) -> tuple[MindMoment, Replayed] | None:
        """The next cited moment after the place reached; None, and the dream forgotten (to
        be read again), when a probe finds that a newer dream was written or none of the
        cited moments is left."""
        order = [
            (theme_index, position)
            for theme_index, theme in enumerate(themes)
            for position in range(len(theme.moment_ids))
        ]
        place = self._place
        start = 0
        if place is not None and place.review_id == review_id:
            # A new dream starts at its first theme; the same one goes on after the last.
            start = order.index((place.theme, place.position)) + 1
        cited = {moment_id for theme in themes for moment_id in theme.moment_ids}
        # One pass round the whole order at most: every cited moment may have gone.
        for step in range(len(order)):
            theme_index, position = order[(start + step) % len(order)]
            moment_id = themes[theme_index].moment_ids[position]
            if moment_id == self.last_id and len(cited) > 1:
                continue
            found = cited_moment(moment_id, using=self.using)
            if found.moment is None:
                continue
            if found.latest_review_id != review_id:
                break
            self._place = _DreamPlace(review_id, theme_index, position)
            return found.moment, Replayed(
                mode=ReplayMode.LAST_DREAM, theme=themes[theme_index].name
            )
        self._dream = None
        return None
