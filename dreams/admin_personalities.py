"""The admin of personalities (registered from `dreams.admin`): edit a version's wording,
which saves a new version (what moments and reviews cite never changes), and activate a
version. Writes pass the control rule like every admin write (`GuardedModelAdmin`, the
`ControlRuleMiddleware`)."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from dreams.models import Personality
from dreams.selectors.personalities import personality_versions
from dreams.services.personalities import personality_activate, personality_create
from dreamsite.admin import GuardedModelAdmin

EDITABLE_FIELDS = ("name", "cognition_voice", "dreaming_voice", "sigil_style", "notes")


def personality_link(personality: Personality | None) -> SafeString | str:
    """The version that made a moment or a review, linked to its admin page."""
    if personality is None:
        return "Before personalities"
    return format_html(
        '<a href="{}">{}</a>',
        reverse("admin:dreams_personality_change", args=[personality.pk]),
        str(personality),
    )


@admin.action(description="Activate the selected version", permissions=["change"])
def activate_personality(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet
) -> None:
    chosen = list(queryset[:2])
    if len(chosen) != 1:
        modeladmin.message_user(
            request, "Choose exactly one version to activate.", messages.WARNING
        )
        return
    personality = personality_activate(personality=chosen[0])
    modeladmin.message_user(
        request,
        f"Version {personality.version} is now the active personality: the next mind moment "
        "and the next dream speak in it.",
        messages.SUCCESS,
    )


class PersonalityAdmin(GuardedModelAdmin):
    list_display = [
        "version",
        "name",
        "active",
        "moment_count",
        "review_count",
        "created_at",
        "created_by",
    ]
    list_display_links = ["version", "name"]
    ordering = ["-version"]
    search_fields = ["name", "notes"]
    actions = [activate_personality]
    fieldsets = [
        (
            None,
            {
                "fields": EDITABLE_FIELDS,
                "description": "Saving an edit writes a new version; the version you started "
                "from stays as it was, with the moments and dreams it made. Activate the new "
                "version (the action in the list, or the personality page) to use it. The "
                "fixed rules that follow the voice in every prompt are not edited here.",
            },
        ),
        ("Version", {"fields": ["version", "active", "created_at", "created_by", "usage"]}),
    ]
    readonly_fields = ["version", "active", "created_at", "created_by", "usage"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Personality]:
        return personality_versions()

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        # One by one, from a version's page: the active version may not be deleted.
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request: HttpRequest, obj: Personality | None = None) -> bool:
        if obj is not None and obj.is_active:
            return False
        return super().has_delete_permission(request, obj)

    def view_on_site(self, personality: Personality) -> str:
        return f"{reverse('personality')}?version={personality.pk}"

    @admin.display(description="Active", boolean=True, ordering="-is_active")
    def active(self, personality: Personality) -> bool:
        return personality.is_active

    @admin.display(description="Moments", ordering="moment_count")
    def moment_count(self, personality: Personality) -> int:
        return personality.moment_count  # type: ignore[attr-defined]  # annotated

    @admin.display(description="Dreams", ordering="review_count")
    def review_count(self, personality: Personality) -> int:
        return personality.review_count  # type: ignore[attr-defined]  # annotated

    @admin.display(description="Made")
    def usage(self, personality: Personality) -> str:
        if personality.pk is None:
            return "-"
        moments = personality.moment_count  # type: ignore[attr-defined]
        reviews = personality.review_count  # type: ignore[attr-defined]
        return f"{moments} mind moment{'s' * (moments != 1)}, {reviews} dream{'s' * (reviews != 1)}"

    def save_model(
        self, request: HttpRequest, obj: Personality, form: ModelForm, change: bool
    ) -> None:
        """Every save writes a new version through the service; the page goes on with it."""
        saved = personality_create(
            created_by=request.user.get_username(),
            **{name: form.cleaned_data[name] for name in EDITABLE_FIELDS},
        )
        if change:
            self.message_user(
                request,
                f"Saved as version {saved.version}, a new version: version {obj.version} "
                "keeps its wording. Activate the new one to use it.",
                messages.INFO,
            )
        obj.pk = saved.pk
        obj.refresh_from_db()
