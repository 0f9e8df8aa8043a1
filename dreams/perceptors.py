"""A perceptor's session, whichever socket carries it (the native `/ws/session/` or
socket.io): who may open one, how often it may send, and the order a percept goes in.

The sockets stay thin: each parses its protocol's frames, calls the session services and
these rules, and replies in its protocol's shapes.
"""

import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings

from dreams.conductor.conductor import notify_conductor
from dreams.models import PerceptKind as PerceptKindChoice
from dreams.realtime.events import PerceptAccepted, PerceptKind, PerceptReceived
from dreams.realtime.publish import apublish
from dreams.services.sessions import percept_accept
from dreamsite.control import control_refusal_for, within_rate

SESSION_LOGIN_COPY = "Log in as staff, or connect with the session token (?token=)."


def session_token_matches(given: str) -> bool:
    """Whether `given` is the session token (never true when no token is configured)."""
    expected = settings.DREAMS_SESSION_TOKEN
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def perceptor_refusal(*, token: str, user: object | None, address: str) -> str | None:
    """Why this caller may not open a session, as product copy; None when it may.

    The token is for perceptor devices; a logged-in staff user (the perceptor page's
    cookie) counts too, under the same rule as every other control. The socket checked the
    Origin before this runs, so another site cannot borrow the cookie.
    """
    if session_token_matches(token):
        return None
    if user is not None and getattr(user, "is_authenticated", False):
        return control_refusal_for(user=user, address=address)
    return SESSION_LOGIN_COPY


async def perceptor_within_rate(*, user: object | None, address: str) -> bool:
    """Frames per minute per caller (the login or the token, and the address), counted
    across every web process and both protocols."""
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    principal = f"user{getattr(user, 'pk', '')}" if signed_in else "token"
    return await within_rate(
        scope="session-frames",
        caller=f"{principal}@{address}",
        limit=settings.DREAMS_SESSION_FRAMES_PER_MINUTE,
    )


async def perceptor_percept(
    *,
    session_id: str,
    kind: PerceptKind,
    fields: dict[str, Any],
    acknowledge: Callable[[PerceptAccepted], Awaitable[object]],
) -> None:
    """Store a percept, acknowledge it (only now: an acknowledged percept survives a crash
    of any process), then tell observers. Raises SessionClosed when the session is over."""
    percept = await database_sync_to_async(percept_accept)(
        session_id=session_id, kind=PerceptKindChoice(kind), payload=fields
    )
    await acknowledge(PerceptAccepted(percept_id=percept.pk, received_at=percept.received_at))
    await apublish(PerceptReceived(session_id=session_id, kind=kind, **fields))


async def sessions_changed() -> None:
    """Tell the conductor a session started or ended (it reconciles from the database
    each second, should this notice be lost)."""
    await notify_conductor({"type": "sessions.changed"})
