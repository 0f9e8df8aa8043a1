"""The engine selection in the admin: changed only through the selection service."""

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString

from dreamsite.admin import GuardedModelAdmin
from engines.models import EngineSelection, EngineSelectionChange, SelectionSource
from engines.readiness import spec_readiness
from engines.registry import ENGINES, engine_spec
from engines.selection import engine_select, selection_refusal


class EngineSelectionForm(forms.ModelForm):
    engine = forms.ChoiceField(
        choices=[(spec.id.value, spec.label) for spec in ENGINES if spec.selectable]
    )
    allow_not_ready = forms.BooleanField(
        required=False, help_text="Select it even though it is not ready yet."
    )

    class Meta:
        model = EngineSelection
        fields = ["engine", "model"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        refusal = selection_refusal(
            engine=cleaned.get("engine", ""),
            allow_not_ready=cleaned.get("allow_not_ready", False),
        )
        if refusal is not None:
            raise forms.ValidationError(f"{refusal.message} {refusal.fix_hint}".strip())
        return cleaned


def readiness_html(engine: str) -> SafeString:
    """Ready, or not ready with the plain reason and what to do (the admin is for staff, so
    the hint may name the environment variable to set)."""
    spec = engine_spec(engine)
    if spec is None:
        return format_html(
            '<span class="dreams-readiness dreams-not-ready">{}</span>',
            "No engine is selected yet: choose one.",
        )
    readiness = spec_readiness(spec)
    if readiness.ready:
        return format_html('<span class="dreams-readiness dreams-ready">{}</span>', "Ready")
    return format_html(
        '<span class="dreams-readiness dreams-not-ready">Not ready: {}.</span> {}',
        readiness.label.lower(),
        readiness.fix_hint,
    )


@admin.register(EngineSelection)
class EngineSelectionAdmin(GuardedModelAdmin):
    form = EngineSelectionForm
    list_display = ["engine_label", "readiness", "model", "source", "updated_at"]
    readonly_fields = ["readiness", "source", "updated_at"]

    def get_fields(self, request: HttpRequest, obj: EngineSelection | None = None) -> Any:
        # Readiness right under the engine it describes.
        fields = [name for name in super().get_fields(request, obj) if name != "readiness"]
        fields.insert(fields.index("engine") + 1 if "engine" in fields else 0, "readiness")
        return fields

    @admin.display(description="Engine", ordering="engine")
    def engine_label(self, selection: EngineSelection) -> str:
        spec = engine_spec(selection.engine)
        return spec.label if spec else selection.engine

    @admin.display(description="Readiness")
    def readiness(self, selection: EngineSelection) -> SafeString:
        return readiness_html(selection.engine)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not EngineSelection.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: EngineSelection, form: EngineSelectionForm, change: bool
    ) -> None:
        # The form already asked selection_refusal, so this write is accepted.
        engine_select(
            engine=form.cleaned_data["engine"],
            model=form.cleaned_data["model"],
            source=SelectionSource.ADMIN,
            actor=request.user.get_username(),
            remote_addr=request.META.get("REMOTE_ADDR"),
            allow_not_ready=form.cleaned_data["allow_not_ready"],
        )


@admin.register(EngineSelectionChange)
class EngineSelectionChangeAdmin(GuardedModelAdmin):
    list_display = [
        "created_at",
        "previous_engine",
        "engine",
        "model",
        "source",
        "actor",
        "remote_addr",
    ]
    list_filter = ["source", "engine"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
