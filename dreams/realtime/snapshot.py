"""What an observer is told on connect, and what a page shows before its socket opens."""

from django.utils import timezone

from dreams.realtime.events import Sigil, Snapshot
from dreams.selectors.live import current_snapshot


def observer_snapshot() -> tuple[int | None, Snapshot]:
    """The `seq` the conductor recorded with its state (None when no conductor ever led)
    and the `snapshot` event."""
    lease = current_snapshot()
    if lease is None:
        return None, Snapshot(state=None, sessions=0, last_sigil=None, conducting=False)
    moment = lease.last_sigil_moment
    snapshot = Snapshot(
        state=lease.state or None,
        sessions=lease.sessions,
        last_sigil=Sigil.of(moment, is_dream=lease.last_sigil_is_dream) if moment else None,
        conducting=lease.expires_at > timezone.now(),
    )
    return lease.seq, snapshot
