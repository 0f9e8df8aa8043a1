"""Live sessions and their percepts. Everything is written to the database before it is
acknowledged, so a conductor that dies loses nothing a perceptor was told was received."""

from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from dreams.models import Percept, PerceptKind, Session, SessionEndReason


class SessionClosed(Exception):
    """The session has ended (by its perceptor, a timeout or a restart)."""


def session_start(*, client_name: str = "") -> Session:
    return Session.objects.create(client_name=client_name[:80])


@transaction.atomic
def percept_accept(*, session_id: str, kind: PerceptKind, payload: dict) -> Percept:
    session = Session.objects.select_for_update().filter(pk=session_id).first()
    if session is None or not session.is_open:
        raise SessionClosed
    now = timezone.now()
    percept = Percept.objects.create(session=session, kind=kind, payload=payload, received_at=now)
    Session.objects.filter(pk=session.pk).update(
        last_activity_at=now, percept_count=F("percept_count") + 1
    )
    return percept


def session_end(*, session_id: str, reason: SessionEndReason) -> bool:
    """End an open session; False when it was already over."""
    now = timezone.now()
    return bool(
        Session.objects.filter(pk=session_id, ended_at__isnull=True).update(
            ended_at=now, end_reason=reason, last_activity_at=now
        )
    )


@transaction.atomic
def sessions_expire(*, inactive_since: datetime) -> list[str]:
    """End sessions silent since `inactive_since`; returns their ids, so their sockets
    can be told."""
    silent = Session.objects.select_for_update().filter(
        ended_at__isnull=True, last_activity_at__lt=inactive_since
    )
    ids = [str(session_id) for session_id in silent.values_list("pk", flat=True)]
    Session.objects.filter(pk__in=ids, ended_at__isnull=True).update(
        ended_at=timezone.now(), end_reason=SessionEndReason.TIMED_OUT
    )
    return ids


def sessions_close_all(*, reason: SessionEndReason) -> int:
    return Session.objects.filter(ended_at__isnull=True).update(
        ended_at=timezone.now(), end_reason=reason
    )


def open_session_count() -> int:
    return Session.objects.filter(ended_at__isnull=True).count()
