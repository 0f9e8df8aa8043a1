"""The engine selection in the admin: changed only through the selection service."""

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from dreamsite.admin import GuardedModelAdmin
from engines.models import EngineSelection, EngineSelectionChange, SelectionSource
from engines.registry import ENGINES
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


@admin.register(EngineSelection)
class EngineSelectionAdmin(GuardedModelAdmin):
    form = EngineSelectionForm
    list_display = ["engine", "model", "source", "updated_at"]
    readonly_fields = ["source", "updated_at"]

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
