"""Guarded control: who may change things, from where, and how often.

Reads are open. Every write on every surface (API, admin, setup wizard, perceptor
sessions) needs a staff session with CSRF or `Authorization: Bearer $DREAMS_CONTROL_TOKEN`,
comes from loopback unless `DREAMS_CONTROL_ALLOW_REMOTE` is set, and is refused in public
demo mode.
"""

import contextlib
import ipaddress
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
PUBLIC_DEMO_COPY = "This is a public demo: changes are turned off."
REMOTE_COPY = (
    "Changes are accepted only from this server itself. Use the dashboard on the server, "
    "or set DREAMS_CONTROL_ALLOW_REMOTE to accept them from elsewhere."
)
LOGIN_COPY = "Log in as staff, or send the control token, to make changes."


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def control_refusal_for(*, user: object, address: str) -> str | None:
    """Why this user, calling from this address, may not make changes, as product copy;
    None when they may. Views and the session socket (cookie sessions) share this rule."""
    if settings.DREAMS_PUBLIC_DEMO:
        return PUBLIC_DEMO_COPY
    if not settings.DREAMS_CONTROL_ALLOW_REMOTE and not is_loopback(address):
        return REMOTE_COPY
    if not (user and getattr(user, "is_authenticated", False) and getattr(user, "is_staff", False)):
        return LOGIN_COPY
    return None


def control_refusal(request: HttpRequest) -> str | None:
    """Why this caller may not make changes, as product copy; None when it may."""
    return control_refusal_for(
        user=getattr(request, "user", None), address=request.META.get("REMOTE_ADDR", "")
    )


class ControlRuleMiddleware:
    """Every write outside the API passes the control rule: the admin (its change forms
    and actions), the setup wizard and any page's form. A refusal is a 403 page with the
    rule's copy. The API applies the same rule per view (`CanControl`), where the control
    token also counts; logging in and out are not writes."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.exempt: frozenset[str] | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in SAFE_METHODS and not self._exempt(request.path):
            refusal = control_refusal(request)
            if refusal is not None:
                return render(request, "403.html", {"refusal": refusal}, status=403)
        return self.get_response(request)

    def _exempt(self, path: str) -> bool:
        if path.startswith("/api/"):
            return True
        if self.exempt is None:  # the URLconf is not loaded when middleware is built
            self.exempt = frozenset({reverse("admin:login"), reverse("admin:logout")})
        return path in self.exempt


async def within_rate(
    *, scope: str, caller: str, limit: int, window_s: int = 60, now: float | None = None
) -> bool:
    """Count one more event of `caller`; False once more than `limit` fall in the last
    `window_s` seconds (`now`: the time, seconds since the epoch; the clock by default).

    A sliding-window counter: the count of this fixed window plus the previous window's,
    weighted by the share of it the last `window_s` seconds still cover. Fixed windows
    alone let twice the limit through in a burst across a window's end. Counted in
    Django's cache (Redis when REDIS_URL is set), so several web processes share one
    count. A refused event is taken back out: it uses none of the caller's rate."""
    window, elapsed = divmod(time.time() if now is None else now, window_s)
    key = f"rate:{scope}:{caller}:{int(window)}"
    previous = await cache.aget(f"rate:{scope}:{caller}:{int(window) - 1}", 0)
    await cache.aadd(key, 0, timeout=window_s * 2)
    try:
        count = await cache.aincr(key)
    except ValueError:  # evicted between the two calls
        await cache.aset(key, 1, timeout=window_s * 2)
        count = 1
    if count + previous * (1 - elapsed / window_s) <= limit:
        return True
    with contextlib.suppress(ValueError):  # evicted meanwhile: nothing to take back
        await cache.adecr(key)
    return False
