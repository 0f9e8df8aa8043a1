"""What an observer is told on connect, and what a page shows before its socket opens."""

from typing import cast

from django.utils import timezone

from dreams.realtime.events import Sigil, Snapshot, State
from dreams.replay import Replayed
from dreams.selectors.live import current_snapshot


def observer_snapshot() -> tuple[int | None, Snapshot]:
    """The `seq` the conductor recorded with its state (None when no conductor ever led)
    and the `snapshot` event."""
    lease = current_snapshot()
    if lease is None:
        return None, Snapshot(state=None, sessions=0, last_sigil=None, conducting=False)
    moment = lease.last_sigil_moment
    replayed = Replayed(**lease.last_sigil_replay) if lease.last_sigil_replay else None
    last_sigil = None
    if moment is not None:
        last_sigil = Sigil.of(moment, is_dream=lease.last_sigil_is_dream, replayed=replayed)
    snapshot = Snapshot(
        # The lease holds the conductor's last CognitiveState, or nothing yet.
        state=cast(State | None, lease.state or None),
        sessions=lease.sessions,
        last_sigil=last_sigil,
        conducting=lease.expires_at > timezone.now(),
    )
    return lease.seq, snapshot
