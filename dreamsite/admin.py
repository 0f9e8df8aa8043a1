"""The admin under the control rule: where the rule refuses the operator (a public demo, a
staff member on another machine) the admin shows its pages read-only, and the
`ControlRuleMiddleware` refuses any write that is sent all the same."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from dreamsite.control import control_refusal

# The admin carries the site's name (its look: templates/admin/base_site.html, admin.css).
admin.site.site_header = "Dreams"
admin.site.site_title = "Dreams admin"
admin.site.index_title = "The mind's history and settings"


class ControlledAdminMixin:
    """Add, change and delete only for callers the control rule lets through."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        allowed: bool = super().has_add_permission(request, *args)  # type: ignore[misc]
        return allowed and control_refusal(request) is None

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed: bool = super().has_change_permission(request, obj)  # type: ignore[misc]
        return allowed and control_refusal(request) is None

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed: bool = super().has_delete_permission(request, obj)  # type: ignore[misc]
        return allowed and control_refusal(request) is None


class GuardedModelAdmin(ControlledAdminMixin, admin.ModelAdmin):
    pass
