"""The control rule in the API (DRF): the bearer control token, the permission that applies
the rule to writes, and the write throttle. The rule itself is `dreamsite.control`'s."""

import hmac
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request
from rest_framework.throttling import ScopedRateThrottle

from dreamsite.control import LOGIN_COPY, control_refusal

if TYPE_CHECKING:  # rest_framework.views imports this module (the authentication setting)
    from rest_framework.views import APIView


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

    def allow_request(self, request: Request, view: "APIView") -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return super().allow_request(request, view)


class ControlTokenScheme(OpenApiAuthenticationExtension):
    """Documents the control token in the OpenAPI schema."""

    target_class = ControlTokenAuthentication
    name = "controlToken"

    def get_security_definition(self, auto_schema: object) -> dict:
        return {"type": "http", "scheme": "bearer", "description": "DREAMS_CONTROL_TOKEN"}
