"""Guarded control: who may change things, from where, and how often.

Reads are open. Every write on every surface (API, admin, setup wizard, perceptor
sessions) needs a staff session with CSRF or `Authorization: Bearer $DREAMS_CONTROL_TOKEN`,
comes from loopback unless `DREAMS_CONTROL_ALLOW_REMOTE` is set, and is refused in public
demo mode.
"""

import hmac
import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request
from rest_framework.throttling import ScopedRateThrottle

PUBLIC_DEMO_COPY = "This is a public demo: changes are turned off."
REMOTE_COPY = (
    "Changes are accepted only from this server itself. Use the dashboard on the server, "
    "or set DREAMS_CONTROL_ALLOW_REMOTE to accept them from elsewhere."
)
LOGIN_COPY = "Log in as staff, or send the control token, to make changes."


@dataclass(frozen=True)
class ControlTokenPrincipal:
    """The caller holding the control token: allowed to control, nothing else."""

    username: str = "control-token"
    is_staff: bool = True
    is_superuser: bool = False
    is_active: bool = True
    is_authenticated: bool = True
    is_anonymous: bool = False
    pk: None = None


class ControlTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[ControlTokenPrincipal, str] | None:
        if request.method in permissions.SAFE_METHODS:
            return None  # reads are open: a token, right or wrong, changes nothing
        header = authentication.get_authorization_header(request).decode("latin-1")
        scheme, _, token = header.partition(" ")
        if scheme != self.keyword:
            return None
        expected = settings.DREAMS_CONTROL_TOKEN
        if not expected or not hmac.compare_digest(token.strip().encode(), expected.encode()):
            raise exceptions.AuthenticationFailed("The control token is not valid.")
        return ControlTokenPrincipal(), "control-token"

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


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


def control_refusal(request: Request | HttpRequest) -> str | None:
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
        if request.method not in permissions.SAFE_METHODS and not self._exempt(request.path):
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


class CanControl(permissions.BasePermission):
    """Reads for everyone; writes only for callers `control_refusal` lets through."""

    def has_permission(self, request: Request, view: object) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        refusal = control_refusal(request)
        if refusal is None:
            return True
        if refusal == LOGIN_COPY and not request.user.is_authenticated:
            raise exceptions.NotAuthenticated(refusal)
        raise exceptions.PermissionDenied(refusal)


class ControlThrottle(ScopedRateThrottle):
    """Writes are throttled per caller; reads are not."""

    def allow_request(self, request: Request, view: object) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return super().allow_request(request, view)


async def within_rate(*, scope: str, caller: str, limit: int, window_s: int = 60) -> bool:
    """Count one more event of `caller` in this fixed window of `window_s` seconds; False
    once the count passes `limit`. Counted in Django's cache (Redis when REDIS_URL is
    set), so several web processes share one count."""
    window = int(time.time() // window_s)
    key = f"rate:{scope}:{caller}:{window}"
    await cache.aadd(key, 0, timeout=window_s * 2)
    try:
        count = await cache.aincr(key)
    except ValueError:  # evicted between the two calls
        await cache.aset(key, 1, timeout=window_s * 2)
        count = 1
    return count <= limit


class ControlTokenScheme(OpenApiAuthenticationExtension):
    """Documents the control token in the OpenAPI schema."""

    target_class = ControlTokenAuthentication
    name = "controlToken"

    def get_security_definition(self, auto_schema: object) -> dict:
        return {"type": "http", "scheme": "bearer", "description": "DREAMS_CONTROL_TOKEN"}
