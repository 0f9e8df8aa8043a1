"""The leader lease: one row in the database that one conductor holds at a time.

The holder renews it every second for a few seconds ahead; a standby polls and takes it
once it has expired. The conditional UPDATE is atomic on PostgreSQL and SQLite alike, so
two standbys can never both win.
"""

from dataclasses import asdict, dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from dreams.models import ConductorLease
from dreams.replay import Replayed

LEASE_TTL = timedelta(seconds=3)


@dataclass(frozen=True)
class Snapshot:
    state: str
    sessions: int
    seq: int
    last_sigil_moment_id: int | None
    last_sigil_is_dream: bool
    last_sigil_replayed: Replayed | None = None


def lease_take(*, holder: str) -> ConductorLease | None:
    """Take (or keep) the lease; None while another conductor holds it."""
    now = timezone.now()
    taken = ConductorLease.objects.filter(
        Q(holder=holder) | Q(expires_at__lt=now), pk=ConductorLease.SINGLETON_ID
    ).update(holder=holder, expires_at=now + LEASE_TTL)
    if not taken:
        try:
            with transaction.atomic():
                ConductorLease.objects.create(holder=holder, expires_at=now + LEASE_TTL)
        except IntegrityError:
            return None
    return ConductorLease.objects.get(pk=ConductorLease.SINGLETON_ID)


def lease_renew(*, holder: str, snapshot: Snapshot) -> bool:
    """Extend the lease and record what observers should be told; False if it was lost."""
    return bool(
        ConductorLease.objects.filter(pk=ConductorLease.SINGLETON_ID, holder=holder).update(
            expires_at=timezone.now() + LEASE_TTL,
            state=snapshot.state,
            sessions=snapshot.sessions,
            seq=snapshot.seq,
            last_sigil_moment_id=snapshot.last_sigil_moment_id,
            last_sigil_is_dream=snapshot.last_sigil_is_dream,
            last_sigil_replay=(
                asdict(snapshot.last_sigil_replayed) if snapshot.last_sigil_replayed else None
            ),
        )
    )


def lease_release(*, holder: str) -> None:
    ConductorLease.objects.filter(pk=ConductorLease.SINGLETON_ID, holder=holder).update(
        expires_at=timezone.now()
    )
