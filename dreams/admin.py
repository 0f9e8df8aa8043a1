"""Admin for the mind's history: everything here is read-only, because history is."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString

from dreams.apis import sigil_image_urls
from dreams.models import MindMoment, Percept, Session
from dreams.services.seeding import SEED_ENGINE
from engines.registry import ENGINES


class ReadOnlyHistoryAdmin(admin.ModelAdmin):
    """Operators may inspect and prune history but never rewrite it."""

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class EngineFilter(admin.SimpleListFilter):
    """Engines from the registry: asking the table for its distinct engines would scan
    every row of a long history on each page view."""

    title = "engine"
    parameter_name = "engine"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(spec.id.value, spec.label) for spec in ENGINES] + [(SEED_ENGINE, "Demo seed")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(engine=self.value()) if self.value() else queryset


class PerceptInline(admin.TabularInline):
    model = Percept
    fields = ["kind", "payload", "received_at", "session"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(MindMoment)
class MindMomentAdmin(ReadOnlyHistoryAdmin):
    list_display = [
        "sigil_thumbnail",
        "cycle",
        "kind",
        "sigil_phrase",
        "engine",
        "valence",
        "arousal",
        "created_at",
    ]
    list_display_links = ["sigil_thumbnail", "cycle"]
    list_filter = ["kind", EngineFilter, "created_at"]
    search_fields = ["text", "sigil_phrase"]
    # Counting a million rows on every page view is the slow part of a large changelist.
    show_full_result_count = False
    list_per_page = 50
    fieldsets = [
        (
            None,
            {"fields": ["sigil_preview", "cycle", "kind", "text", "sigil_phrase", "created_at"]},
        ),
        ("Emotion", {"fields": ["valence", "arousal", "colour"]}),
        ("Sigil", {"fields": ["sigil_code", "sigil_commands"], "classes": ["collapse"]}),
        (
            "Context",
            {
                "fields": [
                    "visual_percepts",
                    "audio_percepts",
                    "prior_moments",
                    "session",
                    "engine",
                    "processing_ms",
                ]
            },
        ),
    ]
    inlines = [PerceptInline]

    @admin.display(description="Sigil")
    def sigil_thumbnail(self, moment: MindMoment) -> SafeString | str:
        return self._sigil_image(moment, 48)

    @admin.display(description="Sigil")
    def sigil_preview(self, moment: MindMoment) -> SafeString | str:
        return self._sigil_image(moment, 256)

    def _sigil_image(self, moment: MindMoment, size: int) -> SafeString | str:
        urls = sigil_image_urls(moment)
        if urls is None:
            return "-"
        return format_html(
            '<img src="{}" width="{}" height="{}" alt="{}" style="background:#000">',
            urls["svg"],
            size,
            size,
            moment.sigil_phrase,
        )


@admin.register(Session)
class SessionAdmin(ReadOnlyHistoryAdmin):
    list_display = ["id", "client_name", "started_at", "ended_at", "end_reason", "percept_count"]
    list_filter = ["end_reason", "started_at"]
    search_fields = ["id", "client_name"]
    inlines = [PerceptInline]


@admin.register(Percept)
class PerceptAdmin(ReadOnlyHistoryAdmin):
    list_display = ["id", "kind", "session", "received_at", "moment"]
    list_filter = ["kind", "received_at"]
    list_select_related = ["session", "moment"]
    raw_id_fields = ["session", "moment"]
