"""The setup wizard's draft: what a staff member has entered so far, kept on the server."""

from django.conf import settings
from django.db import models


class SetupDraft(models.Model):
    """One staff member's unfinished setup. The raw input of every step is kept here, not
    in the browser, so it survives a reload, a browser restart or another browser; it is
    deleted when setup is finished."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="setup_draft"
    )
    # The step shown when the wizard is opened again, and the furthest step reached (later
    # steps cannot be opened before the ones that lead to them were passed).
    step = models.CharField(max_length=16)
    reached = models.CharField(max_length=16)
    # {step name: {field name: the value as submitted}}
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Setup draft of {self.user}"
