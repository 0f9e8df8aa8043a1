"""Times as people say them: "just now", "5 minutes ago", "in 3 hours" (never "0 minutes")."""

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.timesince import timesince, timeuntil

register = template.Library()

JUST_NOW = timedelta(minutes=1)


@register.filter
def ago(value: datetime | None) -> str:
    """How long ago `value` was; "just now" under a minute (or a little in the future)."""
    if value is None:
        return ""
    if timezone.now() - value < JUST_NOW:
        return "just now"
    return f"{timesince(value)} ago"


@register.filter
def due_in(value: datetime | None) -> str:
    """How long until `value`; "in less than a minute" when it is that close or past."""
    if value is None:
        return ""
    if value - timezone.now() < JUST_NOW:
        return "in less than a minute"
    return f"in {timeuntil(value)}"
