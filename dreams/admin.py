"""Admin for the mind's history: everything here is read-only, because history is."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from dreams.admin_html import (
    colour_swatch,
    moment_percepts_html,
    outcome_html,
    percept_payload_html,
    percept_text,
    percept_text_short,
    themes_html,
    threads_html,
    warnings_html,
    written,
    written_block,
)
from dreams.admin_personalities import PersonalityAdmin, personality_link
from dreams.models import (
    DEFAULT_PHASE_WEIGHTS,
    Cadence,
    ContinuityThread,
    DreamReview,
    DreamRun,
    DreamSettings,
    MindMoment,
    Percept,
    Personality,
    RunStatus,
    Session,
    Trigger,
)
from dreams.replay import REPLAY_FIELDS, REPLAY_PARAMETERS, ReplayMode
from dreams.run_reasons import run_reason_copy
from dreams.selectors.dream_settings import (
    phase_timeline_in_force,
    phase_timeline_words,
    replay_words,
)
from dreams.services.dream_runs import dream_run_queue
from dreams.services.dream_settings import (
    dream_settings_change,
    dream_settings_update,
    loop_timing_update,
)
from dreams.services.seeding import SEED_ENGINE
from dreams.sigil_links import sigil_image_urls
from dreams.templatetags.engine_names import engine_label
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
            f"Dream run {run.pk} is queued; the conductor dreams it with "
            f"{engine_label(run.engine)}.",
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

    @admin.display(description="Engine", ordering="engine")
    def engine_name(self, row: MindMoment | DreamRun | DreamReview) -> str:
        """The engine as the pages name it ("Offline (built in)"), not its stored id."""
        return engine_label(row.engine) or "-"

    @admin.display(description="Personality")
    def personality_version(self, row: MindMoment | DreamReview) -> SafeString | str:
        return personality_link(row.personality)


class EngineFilter(admin.SimpleListFilter):
    """Engines from the registry: asking the table for its distinct engines would scan
    every row of a long history on each page view."""

    title = "engine"
    parameter_name = "engine"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        engines = [(spec.id.value, spec.label) for spec in ENGINES]
        return [*engines, (SEED_ENGINE, engine_label(SEED_ENGINE))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(engine=self.value()) if self.value() else queryset


class PerceptInline(ControlledAdminMixin, admin.TabularInline):
    model = Percept
    fields = readonly_fields = ("kind", "percept_text", "received_at", "moment")
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ["-received_at", "-id"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description="What it saw or heard")
    def percept_text(self, percept: Percept) -> SafeString:
        return written(percept_text(percept.payload))


@admin.register(MindMoment)
class MindMomentAdmin(ReadOnlyHistoryAdmin):
    list_display = [
        "sigil_thumbnail",
        "cycle",
        "kind",
        "phrase",
        "engine_name",
        "valence",
        "arousal",
        "colour_swatch",
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
            {
                "fields": [
                    "sigil_preview",
                    "cycle",
                    "kind",
                    "moment_text",
                    "phrase",
                    "created_at",
                ]
            },
        ),
        ("Emotion", {"fields": ["valence", "arousal", "colour_swatch"]}),
        ("Sigil", {"fields": ["sigil_drawing", "sigil_source"], "classes": ["collapse"]}),
        (
            "Context",
            {
                "fields": [
                    "percepts_read",
                    "prior_moment_links",
                    "session",
                    "engine_name",
                    "personality_version",
                    "processing_ms",
                ]
            },
        ),
    ]
    readonly_fields = [
        "sigil_preview",
        "moment_text",
        "phrase",
        "colour_swatch",
        "sigil_drawing",
        "sigil_source",
        "percepts_read",
        "prior_moment_links",
        "engine_name",
        "personality_version",
    ]

    def view_on_site(self, moment: MindMoment) -> str:
        return reverse("moment-page", args=[moment.pk])

    @admin.display(description="Sigil")
    def sigil_thumbnail(self, moment: MindMoment) -> SafeString | str:
        return sigil_image_html(moment, 48)

    @admin.display(description="Sigil")
    def sigil_preview(self, moment: MindMoment) -> SafeString | str:
        return sigil_image_html(moment, 256)

    @admin.display(description="Text")
    def moment_text(self, moment: MindMoment) -> SafeString:
        return written_block(moment.text)

    @admin.display(description="Sigil phrase", ordering="sigil_phrase")
    def phrase(self, moment: MindMoment) -> SafeString:
        return written(moment.sigil_phrase)

    @admin.display(description="Colour")
    def colour_swatch(self, moment: MindMoment) -> SafeString:
        return colour_swatch(moment.colour)

    @admin.display(description="Drawing")
    def sigil_drawing(self, moment: MindMoment) -> str:
        count = len(moment.sigil_commands or [])
        if not count:
            return "This moment has no sigil."
        return f"{count} drawing commands, normalized from the code below."

    @admin.display(description="Code")
    def sigil_source(self, moment: MindMoment) -> SafeString:
        return format_html('<pre class="dreams-code">{}</pre>', moment.sigil_code)

    @admin.display(description="Percepts")
    def percepts_read(self, moment: MindMoment) -> SafeString:
        return moment_percepts_html(moment, list(moment.percepts.order_by("received_at", "id")))

    @admin.display(description="Prior moments")
    def prior_moment_links(self, moment: MindMoment) -> SafeString | str:
        priors = moment.prior_moments.only("id", "cycle", "sigil_phrase", "text").order_by("-cycle")
        return (
            format_html_join(
                ", ",
                '<a href="{}">{}</a>',
                (
                    (reverse("admin:dreams_mindmoment_change", args=[prior.pk]), str(prior))
                    for prior in priors
                ),
            )
            or "It followed no earlier moment."
        )


admin.site.register(Personality, PersonalityAdmin)


@admin.register(Session)
class SessionAdmin(ReadOnlyHistoryAdmin):
    list_display = ["id", "client_name", "started_at", "ended_at", "end_reason", "percept_count"]
    list_filter = ["end_reason", "started_at"]
    search_fields = ["id", "client_name"]
    inlines = [PerceptInline]


@admin.register(Percept)
class PerceptAdmin(ReadOnlyHistoryAdmin):
    list_display = ["id", "kind", "text", "session", "received_at", "moment"]
    list_display_links = ["id", "text"]
    list_filter = ["kind", "received_at"]
    list_select_related = ["session", "moment"]
    raw_id_fields = ["session", "moment"]
    # The text lives in the payload: a key transform searches it on SQLite and PostgreSQL.
    search_fields = ["payload__description", "payload__transcript"]
    search_help_text = "Search what the percepts saw or heard."
    ordering = ["-received_at", "-id"]
    show_full_result_count = False
    fields = readonly_fields = ("kind", "payload_read", "received_at", "session", "moment")

    @admin.display(description="What it saw or heard")
    def text(self, percept: Percept) -> SafeString:
        return percept_text_short(percept.payload)

    @admin.display(description="Percept")
    def payload_read(self, percept: Percept) -> SafeString:
        return percept_payload_html(percept.payload)


@admin.register(DreamSettings)
class DreamSettingsAdmin(GuardedModelAdmin):
    list_display = ["__str__", "enabled", "how_often", "min_new_moments"]
    fieldsets = [
        (None, {"fields": ["enabled", "setup_completed_at"]}),
        ("Cadence", {"fields": ["cadence", "daily_at", "interval_hours", "time_zone"]}),
        ("Material", {"fields": ["min_new_moments", "max_material", "timeout_s"]}),
        (
            "Live loops",
            {"fields": ["cognitive_cycle_ms", "dream_cycle_ms", "session_timeout_ms"]},
        ),
        (
            "Display phases",
            {
                "description": "Each cycle of either loop runs these phases in order; a "
                "phase lasts its weight's share of the cycle (docs/events.md).",
                "fields": [*DEFAULT_PHASE_WEIGHTS, "phase_timeline_in_force"],
            },
        ),
        (
            "Dream loop replay",
            {
                "description": "What the dream loop replays while no session is connected. "
                "Each mode reads only its own settings below: Theme the theme's, Sequence "
                "the sequence length, Salience the weights; Uniform and Last dream need "
                "none.",
                "fields": ["replay_mode", "replay_in_force"],
            },
        ),
        (
            "Replay mode Theme",
            {
                "description": "Used only when the replay mode is Theme: moments in a region "
                "of the circumplex, a time window, of a kind or cited with a continuity "
                "thread. A setting left empty does not restrict.",
                "fields": REPLAY_PARAMETERS[ReplayMode.THEME],
            },
        ),
        (
            "Replay mode Sequence",
            {
                "description": "Used only when the replay mode is Sequence.",
                "fields": REPLAY_PARAMETERS[ReplayMode.SEQUENCE],
            },
        ),
        (
            "Replay mode Salience",
            {
                "description": "Used only when the replay mode is Salience: a moment's weight "
                "is the product of its factors (docs/events.md has the formula).",
                "fields": REPLAY_PARAMETERS[ReplayMode.SALIENCE],
            },
        ),
    ]
    readonly_fields = ["setup_completed_at", "phase_timeline_in_force", "replay_in_force"]
    actions = [run_dream_now]

    @admin.display(description="How often")
    def how_often(self, row: DreamSettings) -> str:
        return row.cadence_description

    @admin.display(description="Phases in force")
    def phase_timeline_in_force(self, row: DreamSettings) -> str:
        return phase_timeline_words(phase_timeline_in_force(row.loop_timing))

    @admin.display(description="Replaying now")
    def replay_in_force(self, row: DreamSettings) -> str:
        words = replay_words(row)
        return f"{words.label}: {words.parameters}"

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
            phase_weights={name: getattr(obj, name) for name in DEFAULT_PHASE_WEIGHTS},
        )
        replay = list(REPLAY_FIELDS)
        dream_settings_change(changes={name: getattr(obj, name) for name in replay})

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
        "engine_name",
        "material_count",
        "duration_ms",
        "dry_run",
        "review",
    ]
    list_filter = ["status", "trigger", EngineFilter, "reason", "dry_run"]
    list_select_related = ["review"]
    actions = [run_dream_now]
    fieldsets = [
        (None, {"fields": ["status", "reason", "detail", "stage", "review"]}),
        ("Asked by", {"fields": ["trigger", "force", "dry_run"]}),
        ("Engine", {"fields": ["engine_name", "model", "material_count"]}),
        ("Notes", {"fields": ["warnings_list", "outcome_list"]}),
        (
            "Timing",
            {"fields": ["started_at", "finished_at", "duration_ms", "holder", "lease_expires_at"]},
        ),
    ]
    readonly_fields = ["warnings_list", "outcome_list", "engine_name"]

    @admin.display(description="Warnings")
    def warnings_list(self, run: DreamRun) -> SafeString:
        return warnings_html(run.warnings)

    @admin.display(description="Outcome")
    def outcome_list(self, run: DreamRun) -> SafeString | str:
        if not run.outcome and run.review_id is not None:
            return "It wrote the review above; only a dry run keeps its outcome here."
        return outcome_html(run.outcome)


@admin.register(DreamReview)
class DreamReviewAdmin(ReadOnlyHistoryAdmin):
    list_display = ["sequence", "review_title", "engine_name", "material_count", "created_at"]
    list_display_links = ["sequence", "review_title"]
    list_filter = [EngineFilter, "created_at"]
    search_fields = ["title", "narrative"]
    list_select_related = ["moment"]
    fields = readonly_fields = (
        "dream_sigil",
        "sequence",
        "review_title",
        "review_narrative",
        "themes_with_moments",
        "threads_read",
        "engine_name",
        "model",
        "personality_version",
        "material_count",
        "material_through_cycle",
        "moment",
        "run_link",
        "created_at",
    )

    def view_on_site(self, review: DreamReview) -> str:
        return reverse("dream-page", args=[review.pk])

    @admin.display(description="Dream sigil")
    def dream_sigil(self, review: DreamReview) -> SafeString | str:
        return sigil_image_html(review.moment, 256)

    @admin.display(description="Title", ordering="title")
    def review_title(self, review: DreamReview) -> SafeString:
        return written(review.title)

    @admin.display(description="Narrative")
    def review_narrative(self, review: DreamReview) -> SafeString:
        return written_block(review.narrative)

    @admin.display(description="Themes")
    def themes_with_moments(self, review: DreamReview) -> SafeString:
        return themes_html(review.themes)

    @admin.display(description="Continuity threads")
    def threads_read(self, review: DreamReview) -> SafeString:
        return threads_html(review.threads, review.created_at)

    @admin.display(description="Dream run")
    def run_link(self, review: DreamReview) -> SafeString | str:
        run = DreamRun.objects.filter(review=review).only("id", "status").first()
        if run is None:
            return "No run is kept for this dream."
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:dreams_dreamrun_change", args=[run.pk]), str(run)
        )


@admin.register(ContinuityThread)
class ContinuityThreadAdmin(ReadOnlyHistoryAdmin):
    list_display = ["thread_name", "status", "times_seen", "first_seen_at", "last_seen_at"]
    list_filter = ["status"]
    search_fields = ["name", "note"]
    fields = readonly_fields = (
        "thread_name",
        "thread_note",
        "status",
        "times_seen",
        "first_seen_at",
        "last_seen_at",
        "last_seen_sequence",
        "key",
    )

    @admin.display(description="Name", ordering="name")
    def thread_name(self, thread: ContinuityThread) -> SafeString:
        return written(thread.name)

    @admin.display(description="Note")
    def thread_note(self, thread: ContinuityThread) -> SafeString:
        return written_block(thread.note)
