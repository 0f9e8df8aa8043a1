"""The one durable engine selection, and the history of how it changed."""

from django.db import models
from django.db.models import Q

from dreamsite.validators import validate_clean_text


class SelectionSource(models.TextChoices):
    SETUP = "setup", "Setup wizard"
    DASHBOARD = "dashboard", "Dashboard"
    ADMIN = "admin", "Admin"
    API = "api", "API"
    CLI = "cli", "Command line"
    LEGACY_IMPORT = "legacy_import", "Imported from the legacy config"
    AUTO = "auto", "Chosen automatically"


class EngineSelection(models.Model):
    """The selected engine. There is exactly one row (id 1), or none before first use."""

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID, editable=False)
    engine = models.CharField(max_length=32)
    model = models.CharField(max_length=200, blank=True, validators=[validate_clean_text])
    source = models.CharField(max_length=16, choices=SelectionSource.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="engine_selection_single_row"),
        ]

    def __str__(self) -> str:
        return f"{self.engine} {self.model}".strip()


class EngineSelectionChange(models.Model):
    """One change of the selection: what, when, by whom and from where."""

    engine = models.CharField(max_length=32)
    model = models.CharField(max_length=200, blank=True)
    previous_engine = models.CharField(max_length=32, blank=True)
    previous_model = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=16, choices=SelectionSource.choices)
    actor = models.CharField(max_length=150, blank=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.previous_engine or '-'} -> {self.engine}"
