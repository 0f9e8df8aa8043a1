"""Admin for the mind's history: everything here is read-only, because history is."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from dreams.models import (
    Cadence,
    ContinuityThread,
    DreamReview,
    DreamRun,
    DreamSettings,
    MindMoment,
    Percept,
    RunStatus,
    Session,
    Trigger,
)
from dreams.run_reasons import run_reason_copy
from dreams.services.dream_runs import dream_run_queue
from dreams.services.dream_settings import dream_settings_update, loop_timing_update
from dreams.services.seeding import SEED_ENGINE
from dreams.sigil_links import sigil_image_urls
from dreamsite.admin import ControlledAdminMixin, GuardedModelAdmin
from engines.registry import ENGINES


def sigil_image_html(moment: MindMoment, size: int) -> SafeString | str:
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


@admin.action(description="Run dream now")
def run_dream_now(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    """Starts a forced dream run through the same service as cron and the dashboard."""
    run = dream_run_queue(trigger=Trigger.ADMIN, force=True)
    if run.status == RunStatus.QUEUED:
        modeladmin.message_user(
            request,
            f"Dream run {run.pk} is queued; the conductor dreams it with {run.engine}.",
            messages.SUCCESS,
        )
    else:
        modeladmin.message_user(
            request,
            f"Dream run {run.pk} was skipped. {run_reason_copy(run.reason)} {run.detail}".strip(),
            messages.WARNING,
        )


class ReadOnlyHistoryAdmin(GuardedModelAdmin):
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


class PerceptInline(ControlledAdminMixin, admin.TabularInline):
    model = Percept
    fields = readonly_fields = ("kind", "payload", "received_at", "session")
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
        return sigil_image_html(moment, 48)

    @admin.display(description="Sigil")
    def sigil_preview(self, moment: MindMoment) -> SafeString | str:
        return sigil_image_html(moment, 256)


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


@admin.register(DreamSettings)
class DreamSettingsAdmin(GuardedModelAdmin):
    list_display = ["__str__", "enabled", "cadence", "daily_at", "interval_hours", "time_zone"]
    fieldsets = [
        (None, {"fields": ["enabled", "setup_completed_at"]}),
        ("Cadence", {"fields": ["cadence", "daily_at", "interval_hours", "time_zone"]}),
        ("Material", {"fields": ["min_new_moments", "max_material", "timeout_s"]}),
        (
            "Live loops",
            {"fields": ["cognitive_cycle_ms", "dream_cycle_ms", "session_timeout_ms"]},
        ),
    ]
    readonly_fields = ["setup_completed_at"]
    actions = [run_dream_now]

    def save_model(
        self, request: HttpRequest, obj: DreamSettings, form: object, change: bool
    ) -> None:
        # Through the same services as the setup wizard, so one set of rules applies.
        dream_settings_update(
            enabled=obj.enabled,
            cadence=Cadence(obj.cadence),
            daily_at=obj.daily_at,
            interval_hours=obj.interval_hours,
            time_zone=obj.time_zone,
            min_new_moments=obj.min_new_moments,
            max_material=obj.max_material,
            timeout_s=obj.timeout_s,
        )
        loop_timing_update(
            cognitive_cycle_ms=obj.cognitive_cycle_ms,
            dream_cycle_ms=obj.dream_cycle_ms,
            session_timeout_ms=obj.session_timeout_ms,
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not DreamSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(DreamRun)
class DreamRunAdmin(ReadOnlyHistoryAdmin):
    list_display = [
        "id",
        "started_at",
        "trigger",
        "status",
        "reason",
        "engine",
        "material_count",
        "duration_ms",
        "dry_run",
        "review",
    ]
    list_filter = ["status", "trigger", "engine", "reason", "dry_run"]
    list_select_related = ["review"]
    actions = [run_dream_now]


@admin.register(DreamReview)
class DreamReviewAdmin(ReadOnlyHistoryAdmin):
    list_display = ["sequence", "title", "engine", "material_count", "created_at"]
    list_filter = ["engine", "created_at"]
    search_fields = ["title", "narrative"]
    fields = readonly_fields = (
        "dream_sigil",
        "sequence",
        "title",
        "narrative",
        "themes_with_moments",
        "threads",
        "engine",
        "model",
        "material_count",
        "material_through_cycle",
        "moment",
        "created_at",
    )

    @admin.display(description="Dream sigil")
    def dream_sigil(self, review: DreamReview) -> SafeString | str:
        return sigil_image_html(review.moment, 256)

    @admin.display(description="Themes")
    def themes_with_moments(self, review: DreamReview) -> SafeString:
        items = format_html_join(
            "",
            "<li><strong>{}</strong>: {} <br>Cites: {}</li>",
            (
                (
                    theme["name"],
                    theme["summary"],
                    format_html_join(
                        ", ",
                        '<a href="{}">{}</a>',
                        (
                            (reverse("admin:dreams_mindmoment_change", args=[moment_id]), moment_id)
                            for moment_id in theme["moment_ids"]
                        ),
                    ),
                )
                for theme in review.themes
            ),
        )
        return format_html("<ul>{}</ul>", items)


@admin.register(ContinuityThread)
class ContinuityThreadAdmin(ReadOnlyHistoryAdmin):
    list_display = ["name", "status", "times_seen", "first_seen_at", "last_seen_at"]
    list_filter = ["status"]
    search_fields = ["name", "note"]
