"""The dream loop's replays, counted in memory between writes.

A replay is a dict update here, never a database write: the conductor hands the counts to
`dreams.services.resurfacing.replays_record` in batches (every 30 s, and when it stops),
so a tick costs what it cost before analytics, and a database that is away loses nothing
(a failed write gives its batch back).
"""

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from types import MappingProxyType

# (moment id, UTC day, replay mode): one ReplayTally row.
TallyKey = tuple[int, date, str]


@dataclass(frozen=True)
class MomentReplays:
    """How often one moment was replayed in a batch, and the latest of those replays."""

    count: int
    latest: datetime


@dataclass(frozen=True)
class ReplayBatch:
    """The replays noted since the last `take`: per moment, and per (moment, day, mode)."""

    moments: Mapping[int, MomentReplays] = field(default_factory=lambda: MappingProxyType({}))
    tallies: Mapping[TallyKey, int] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def replays(self) -> int:
        return sum(entry.count for entry in self.moments.values())

    def __bool__(self) -> bool:
        return bool(self.moments)


class ReplayCounter:
    """Replays noted by the dream loop, until they are taken to be written.

    `take` and `give_back` may run on another thread than `note` (the write runs in a
    worker thread while the loop goes on), hence the lock; it is held for a dict update at
    a time, never across a write.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[int, int] = {}
        self._latest: dict[int, datetime] = {}
        self._tallies: dict[TallyKey, int] = {}
        self._pending = 0

    def note(self, *, moment_id: int, mode: str, at: datetime) -> None:
        """One replay of `moment_id` in `mode` at `at` (an aware time; its UTC day is the
        tally's day)."""
        day = at.astimezone(UTC).date()
        with self._lock:
            self._add(moment_id, 1, at)
            key = (moment_id, day, mode)
            self._tallies[key] = self._tallies.get(key, 0) + 1

    def pending(self) -> int:
        """Replays noted and not yet taken."""
        return self._pending

    def take(self) -> ReplayBatch:
        """Everything noted so far, which the counter forgets."""
        with self._lock:
            batch = ReplayBatch(
                moments=MappingProxyType(
                    {
                        moment_id: MomentReplays(count, self._latest[moment_id])
                        for moment_id, count in self._counts.items()
                    }
                ),
                tallies=MappingProxyType(self._tallies),
            )
            self._counts, self._latest, self._tallies = {}, {}, {}
            self._pending = 0
        return batch

    def give_back(self, batch: ReplayBatch) -> None:
        """Merge a batch that could not be written back in, beside what was noted since,
        so the next write carries both."""
        with self._lock:
            for moment_id, entry in batch.moments.items():
                self._add(moment_id, entry.count, entry.latest)
            for key, count in batch.tallies.items():
                self._tallies[key] = self._tallies.get(key, 0) + count

    def _add(self, moment_id: int, count: int, at: datetime) -> None:
        self._counts[moment_id] = self._counts.get(moment_id, 0) + count
        latest = self._latest.get(moment_id)
        if latest is None or at > latest:
            self._latest[moment_id] = at
        self._pending += count
