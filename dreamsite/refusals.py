"""Settings the server refuses to start with. manage.py prints their copy, not a traceback."""

from django.core.exceptions import ImproperlyConfigured


class SettingRefused(ImproperlyConfigured):
    """A setting the operator must change before the server starts; the message says how."""
