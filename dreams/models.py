"""Mind moments, live sessions and the percepts they send.

History is append-only: once written, a mind moment's content never changes (its sigil
images are served with immutable caching), so the admin shows it read-only.
"""

import operator
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from functools import reduce
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import (
    MaxLengthValidator,
    MaxValueValidator,
    MinValueValidator,
    RegexValidator,
)
from django.db import models
from django.db.models import Q
from django.db.models.lookups import GreaterThan
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from dreams.conductor.phases import PhaseSlot, phase_timeline
from dreams.emotion import CIRCUMPLEX_MAX, CIRCUMPLEX_MIN, ColourTriad, circumplex_triad
from dreams.processes import HOLDER_MAX_LENGTH
from dreams.replay import REPLAY_FIELDS, ReplayMode, ReplayPlan, Salience, ThemeFilter
from dreamsite.validators import validate_clean_text
from engines.contracts import SIGIL_STYLE_MAX_CHARS, VOICE_MAX_CHARS, Voice

# Every lease holder (conductor, dream run, scheduler check) is named by processes.holder_name.
HOLDER_HELP = "host:pid:random, from dreams.processes.holder_name"
CIRCUMPLEX_VALIDATORS = [MinValueValidator(CIRCUMPLEX_MIN), MaxValueValidator(CIRCUMPLEX_MAX)]
COLOUR_VALIDATOR = RegexValidator(r"^#[0-9a-f]{6}$", "A colour is #rrggbb in lower-case hex.")


def default_time_zone() -> str:
    return settings.TIME_ZONE


def validate_time_zone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{name!r} is not a known time zone, like Europe/Berlin.") from None


class MomentKind(models.TextChoices):
    LIVE = "live", "Live"
    DREAM = "dream", "Dream"
    SEED = "seed", "Seed"


class PerceptKind(models.TextChoices):
    VISUAL = "visual", "Visual"
    AUDIO = "audio", "Audio"


class SessionEndReason(models.TextChoices):
    ENDED = "ended", "Ended by the perceptor"
    TIMED_OUT = "timed_out", "Timed out"
    DISCONNECTED = "disconnected", "Connection lost"
    SERVER_RESTART = "server_restart", "Server restarted"
    SERVER_SHUTDOWN = "server_shutdown", "Server shut down"


class Session(models.Model):
    """A perceptor's live connection: it sends percepts while it is open."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client_name = models.CharField(max_length=80, blank=True, validators=[validate_clean_text])
    started_at = models.DateTimeField(default=timezone.now, editable=False)
    last_activity_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=20, choices=SessionEndReason.choices, blank=True)
    percept_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(
                fields=["last_activity_at"],
                condition=Q(ended_at__isnull=True),
                name="session_open_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="session_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"Session {str(self.id)[:8]}"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


NOTES_MAX_CHARS = 2_000


class Personality(models.Model):
    """One version of the mind's editable voice: who it is when it thinks, who it is when
    it dreams, and how its sigils look. Exactly one version is active (the database keeps
    it so); every mind moment and dream review records the version that made it.

    A version's wording never changes once written: an edit is a new version, so what a
    moment cites is what made it. The fixed contract that follows the voice in every
    prompt is code (`engines.prompts`), never a row.
    """

    name = models.CharField(max_length=80, validators=[validate_clean_text])
    version = models.PositiveIntegerField(unique=True, editable=False)
    cognition_voice = models.TextField(
        "voice of cognition",
        max_length=VOICE_MAX_CHARS,
        # A TextField's max_length is only its form's: the validator enforces it here.
        validators=[MaxLengthValidator(VOICE_MAX_CHARS), validate_clean_text],
        help_text="Who the mind is when it turns percepts into mind moments.",
    )
    dreaming_voice = models.TextField(
        "voice of dreaming",
        max_length=VOICE_MAX_CHARS,
        validators=[MaxLengthValidator(VOICE_MAX_CHARS), validate_clean_text],
        help_text="Who the mind is when it consolidates its moments into a dream.",
    )
    sigil_style = models.TextField(
        max_length=SIGIL_STYLE_MAX_CHARS,
        blank=True,
        validators=[MaxLengthValidator(SIGIL_STYLE_MAX_CHARS), validate_clean_text],
        help_text="How its sigils should look, within the fixed sigil language.",
    )
    notes = models.TextField(
        max_length=NOTES_MAX_CHARS,
        blank=True,
        validators=[MaxLengthValidator(NOTES_MAX_CHARS), validate_clean_text],
        help_text="What this version is for, what changed: for the operators, never sent.",
    )
    is_active = models.BooleanField("active", default=False, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # A staff member's username, "control-token" for the API's token, empty for the
    # version installed with Dreams.
    created_by = models.CharField(max_length=150, blank=True, editable=False)

    class Meta:
        ordering = ["-version"]
        verbose_name_plural = "personalities"
        constraints = [
            # At most one active version, kept by the database (a unique index over the
            # active rows only); the services keep at least one.
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="personality_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (version {self.version})"

    def clean(self) -> None:
        super().clean()
        blank = [name for name in ("cognition_voice", "dreaming_voice") if not self._text(name)]
        if blank:
            raise ValidationError({name: "Write at least a few words." for name in blank})

    def _text(self, name: str) -> str:
        value = getattr(self, name)
        return value.strip() if isinstance(value, str) else ""

    @property
    def voice(self) -> Voice:
        return Voice(
            cognition=self.cognition_voice,
            dreaming=self.dreaming_voice,
            sigil_style=self.sigil_style,
        )


def personality_field(
    related_name: str,
) -> "models.ForeignKey[Personality | None, Personality | None]":
    """The personality version that made a moment or a review. Empty for what was written
    before personalities existed. PROTECT: history is append-only, so a version that
    history cites cannot be deleted (that would rewrite what made those rows into "before
    personalities"); a version nothing cites can be."""
    return models.ForeignKey(
        Personality,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name=related_name,
        editable=False,
    )


class MindMoment(models.Model):
    """One thought of the mind: an observation, a sigil and an emotional reading."""

    cycle = models.BigIntegerField(unique=True, editable=False)
    kind = models.CharField(max_length=8, choices=MomentKind.choices, default=MomentKind.LIVE)
    text = models.TextField(blank=True, validators=[validate_clean_text])
    sigil_phrase = models.CharField(max_length=120, blank=True, validators=[validate_clean_text])
    sigil_code = models.TextField(blank=True)
    sigil_commands = models.JSONField(default=list, blank=True)
    # Stored so the dream loop and the API can find moments with a sigil through an index.
    has_sigil = models.BooleanField(default=False, editable=False)
    valence = models.FloatField(default=0.0, validators=CIRCUMPLEX_VALIDATORS)
    arousal = models.FloatField(default=0.0, validators=CIRCUMPLEX_VALIDATORS)
    colour = models.CharField(max_length=7, default="#ffffff", validators=[COLOUR_VALIDATOR])
    visual_percepts = models.JSONField(default=list, blank=True)
    audio_percepts = models.JSONField(default=list, blank=True)
    prior_moments = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="later_moments"
    )
    engine = models.CharField(max_length=32, blank=True)
    processing_ms = models.PositiveIntegerField(null=True, blank=True)
    session = models.ForeignKey(
        Session, null=True, blank=True, on_delete=models.SET_NULL, related_name="moments"
    )
    personality = personality_field("moments")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Resurfacing analytics, not content: how often the dream loop replayed the moment and
    # dream reviews cited it (dreams.services.resurfacing keeps them, in batches).
    # Database defaults too: bulk inserts (seeding, benchmarks) name only the content.
    replays = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    citations = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    last_resurfaced_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-cycle"]
        indexes = [
            models.Index(fields=["kind", "cycle"], name="moment_kind_cycle_idx"),
            models.Index(fields=["engine", "cycle"], name="moment_engine_cycle_idx"),
            # Time ranges: their cycles sorted from the index alone (selectors.moment_history).
            models.Index(fields=["created_at", "cycle"], name="moment_created_cycle_idx"),
            models.Index(fields=["id"], condition=Q(has_sigil=True), name="moment_sigil_idx"),
            models.Index(fields=["replays", "id"], name="moment_replays_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(valence__gte=CIRCUMPLEX_MIN, valence__lte=CIRCUMPLEX_MAX)
                & Q(arousal__gte=CIRCUMPLEX_MIN, arousal__lte=CIRCUMPLEX_MAX),
                name="moment_circumplex_in_range",
            ),
            models.CheckConstraint(condition=Q(cycle__gte=0), name="moment_cycle_not_negative"),
        ]

    def __str__(self) -> str:
        return f"Cycle {self.cycle}: {self.sigil_phrase or self.text[:40]}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.has_sigil = bool(self.sigil_commands)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("moment-page", args=[self.pk])

    @property
    def colour_triad(self) -> ColourTriad:
        """Derived from the reading, never stored: the same reading always has one triad."""
        return circumplex_triad(self.valence, self.arousal)


class Percept(models.Model):
    """Something a session saw or heard; consumed by the next cognitive cycle."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="percepts")
    kind = models.CharField(max_length=8, choices=PerceptKind.choices)
    payload = models.JSONField(default=dict)
    received_at = models.DateTimeField(default=timezone.now, editable=False)
    # Set when a cognitive cycle turns the percept into a mind moment; until then it waits.
    moment = models.ForeignKey(
        MindMoment, null=True, blank=True, on_delete=models.SET_NULL, related_name="percepts"
    )

    class Meta:
        ordering = ["received_at", "id"]
        indexes = [
            models.Index(
                fields=["received_at", "id"],
                condition=Q(moment__isnull=True),
                name="percept_pending_idx",
            ),
            models.Index(fields=["session", "received_at"], name="percept_session_idx"),
            # The admin lists percepts newest first.
            models.Index(fields=["received_at", "id"], name="percept_received_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} percept {self.pk}"


class Cadence(models.TextChoices):
    DAILY = "daily", "Daily at a set time"
    INTERVAL = "interval", "Every few hours"


# Allowed live loop timing, in milliseconds (inclusive): shared by the model, the setup
# wizard's form and its copy.
LOOP_TIMING_RANGES: dict[str, tuple[int, int]] = {
    "cognitive_cycle_ms": (500, 600_000),
    "dream_cycle_ms": (1_000, 3_600_000),
    "session_timeout_ms": (5_000, 3_600_000),
}


def loop_timing_field(name: str, help_text: str) -> models.PositiveIntegerField:
    low, high = LOOP_TIMING_RANGES[name]
    return models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(low), MaxValueValidator(high)],
        help_text=help_text,
    )


# The display phases of every cycle, in order, with their default relative weights: the
# source system's 60 s timeline (PERCEPTS 35 s, SPOOL 2, SIGILIN 3, SIGILHOLD 15, SIGILOUT 3,
# RESET 2). Weights, not durations, so the timeline scales to each loop's cycle length.
DEFAULT_PHASE_WEIGHTS: dict[str, int] = {
    "phase_percepts_weight": 35,
    "phase_spool_weight": 2,
    "phase_sigilin_weight": 3,
    "phase_sigilhold_weight": 15,
    "phase_sigilout_weight": 3,
    "phase_reset_weight": 2,
}
PHASE_WEIGHT_MAX = 1000


def phase_weight_field(name: str, phase: str) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        default=DEFAULT_PHASE_WEIGHTS[name],
        validators=[MaxValueValidator(PHASE_WEIGHT_MAX)],
        help_text=f"Relative length of {phase} in each cycle; 0 skips it.",
    )


@dataclass(frozen=True)
class LoopTiming:
    """The conductor's loop timing, in milliseconds (and, for its timer, in seconds)."""

    cognitive_cycle_ms: int
    dream_cycle_ms: int
    session_timeout_ms: int
    # Not stored: the environment's (DREAM_START_DELAY_MS).
    dream_start_delay_ms: int = field(default_factory=lambda: settings.DREAM_START_DELAY_MS)
    # The display phases' relative lengths, in the order of DEFAULT_PHASE_WEIGHTS.
    phase_weights: tuple[int, ...] = tuple(DEFAULT_PHASE_WEIGHTS.values())

    @property
    def cognitive_cycle_s(self) -> float:
        return self.cognitive_cycle_ms / 1000

    @property
    def dream_cycle_s(self) -> float:
        return self.dream_cycle_ms / 1000

    @property
    def session_timeout_s(self) -> float:
        return self.session_timeout_ms / 1000

    @property
    def dream_start_delay_s(self) -> float:
        return self.dream_start_delay_ms / 1000

    @property
    def dream_phases(self) -> tuple[PhaseSlot, ...]:
        return phase_timeline(self.dream_cycle_ms, self.phase_weights)

    @property
    def cognitive_phases(self) -> tuple[PhaseSlot, ...]:
        return phase_timeline(self.cognitive_cycle_ms, self.phase_weights)


# The fields an operator may set by name (the command line, the settings API).
SETTABLE_FIELDS = (
    "enabled",
    "cadence",
    "daily_at",
    "interval_hours",
    "time_zone",
    "min_new_moments",
    "max_material",
    "timeout_s",
    "cognitive_cycle_ms",
    "dream_cycle_ms",
    "session_timeout_ms",
    *DEFAULT_PHASE_WEIGHTS,
    *REPLAY_FIELDS,
)
SALIENCE_WEIGHT_VALIDATORS = [MinValueValidator(0.0), MaxValueValidator(0.95)]


def theme_bound_field(help_text: str) -> models.FloatField:
    return models.FloatField(
        null=True, blank=True, validators=CIRCUMPLEX_VALIDATORS, help_text=help_text
    )


def salience_weight_field(factor: str, default: float) -> models.FloatField:
    return models.FloatField(
        default=default,
        validators=SALIENCE_WEIGHT_VALIDATORS,
        help_text=f"How much {factor} counts in the salience mode, 0 to 0.95; 0 ignores it.",
    )


class DreamSettings(models.Model):
    """How and when the mind dreams. One row (id 1), edited by setup and the admin."""

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID, editable=False)
    enabled = models.BooleanField(default=True)
    cadence = models.CharField(max_length=8, choices=Cadence.choices, default=Cadence.DAILY)
    daily_at = models.TimeField(default=time(3, 0), help_text="Local time of the daily dream.")
    interval_hours = models.PositiveSmallIntegerField(
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(168)],
        help_text="Hours between dreams when the cadence is every few hours.",
    )
    time_zone = models.CharField(
        max_length=64, default=default_time_zone, validators=[validate_time_zone]
    )
    min_new_moments = models.PositiveIntegerField(
        default=5,
        validators=[MinValueValidator(1)],
        help_text="How many new mind moments a dream needs.",
    )
    max_material = models.PositiveIntegerField(
        default=200,
        validators=[MinValueValidator(1), MaxValueValidator(20_000)],
        help_text="The most salient moments a dream consolidates at most.",
    )
    timeout_s = models.PositiveIntegerField(
        default=180,
        validators=[MinValueValidator(5), MaxValueValidator(3600)],
        help_text="Seconds the engine may take before the run fails.",
    )
    # Live loop timing. Empty means the server's environment value (COGNITIVE_CYCLE_MS,
    # DREAM_CYCLE_MS, SESSION_TIMEOUT_MS), so a deployment that never ran setup keeps the
    # timing it was configured with.
    cognitive_cycle_ms = loop_timing_field(
        "cognitive_cycle_ms",
        "Milliseconds between cognitive cycles while sessions are connected. "
        "Empty: the server's COGNITIVE_CYCLE_MS.",
    )
    dream_cycle_ms = loop_timing_field(
        "dream_cycle_ms",
        "Milliseconds between replayed moments while no session is connected. "
        "Empty: the server's DREAM_CYCLE_MS.",
    )
    session_timeout_ms = loop_timing_field(
        "session_timeout_ms",
        "Milliseconds of silence after which a session is ended. "
        "Empty: the server's SESSION_TIMEOUT_MS.",
    )
    # The display timeline of every cycle (phase events), scaled to the cycle's length.
    phase_percepts_weight = phase_weight_field("phase_percepts_weight", "PERCEPTS")
    phase_spool_weight = phase_weight_field("phase_spool_weight", "SPOOL")
    phase_sigilin_weight = phase_weight_field("phase_sigilin_weight", "SIGILIN (fade in)")
    phase_sigilhold_weight = phase_weight_field("phase_sigilhold_weight", "SIGILHOLD (hold)")
    phase_sigilout_weight = phase_weight_field("phase_sigilout_weight", "SIGILOUT (fade out)")
    phase_reset_weight = phase_weight_field("phase_reset_weight", "RESET")
    # What the dream loop replays (dreams.replay); the theme's bounds left empty do not
    # restrict.
    replay_mode = models.CharField(
        max_length=12, choices=ReplayMode.choices, default=ReplayMode.UNIFORM
    )
    theme_valence_min = theme_bound_field("Theme: lowest valence (-1 unpleasant to 1 pleasant).")
    theme_valence_max = theme_bound_field("Theme: highest valence.")
    theme_arousal_min = theme_bound_field("Theme: lowest arousal (-1 calm to 1 excited).")
    theme_arousal_max = theme_bound_field("Theme: highest arousal.")
    theme_since = models.DateTimeField(null=True, blank=True, help_text="Theme: moments from.")
    theme_until = models.DateTimeField(null=True, blank=True, help_text="Theme: moments until.")
    theme_kind = models.CharField(
        max_length=8, choices=MomentKind.choices, blank=True, help_text="Theme: only this kind."
    )
    theme_thread = models.SlugField(
        max_length=80,
        blank=True,
        help_text="Theme: only moments cited by the dreams in which this continuity thread "
        "was seen (its key).",
    )
    sequence_length = models.PositiveSmallIntegerField(
        default=8,
        validators=[MinValueValidator(2), MaxValueValidator(100)],
        help_text="Sequence: consecutive moments replayed in order before a jump.",
    )
    salience_intensity = salience_weight_field("emotional intensity", Salience.intensity)
    salience_recency = salience_weight_field("recency", Salience.recency)
    salience_rarity = salience_weight_field("rarity of resurfacing", Salience.rarity)
    salience_half_life_hours = models.PositiveIntegerField(
        default=int(Salience.half_life_hours),
        validators=[MinValueValidator(1), MaxValueValidator(24 * 365 * 10)],
        help_text="Salience: hours after which a moment's recency has halved.",
    )
    setup_completed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the setup wizard was last finished. Dream runs wait for it.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "dream settings"
        verbose_name_plural = "dream settings"
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="dream_settings_single_row"),
            models.CheckConstraint(
                condition=GreaterThan(
                    reduce(operator.add, (models.F(name) for name in DEFAULT_PHASE_WEIGHTS)), 0
                ),
                name="dream_settings_phase_weights_not_all_zero",
            ),
        ]

    def __str__(self) -> str:
        return "Dream settings"

    @classmethod
    def load(cls) -> "DreamSettings":
        """The one row: a plain read (migration 0006 creates it; the admin cannot delete it)."""
        return cls.objects.get(pk=cls.SINGLETON_ID)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def setup_complete(self) -> bool:
        return self.setup_completed_at is not None

    @property
    def loop_timing(self) -> LoopTiming:
        """The timing the conductor uses: the stored values, else the environment's."""
        return LoopTiming(
            cognitive_cycle_ms=self.cognitive_cycle_ms or settings.COGNITIVE_CYCLE_MS,
            dream_cycle_ms=self.dream_cycle_ms or settings.DREAM_CYCLE_MS,
            session_timeout_ms=self.session_timeout_ms or settings.SESSION_TIMEOUT_MS,
            phase_weights=self.phase_weights,
        )

    @property
    def phase_weights(self) -> tuple[int, ...]:
        return tuple(getattr(self, name) for name in DEFAULT_PHASE_WEIGHTS)

    @property
    def replay_plan(self) -> ReplayPlan:
        return ReplayPlan(
            mode=self.replay_mode,
            theme=ThemeFilter(
                valence_min=self.theme_valence_min,
                valence_max=self.theme_valence_max,
                arousal_min=self.theme_arousal_min,
                arousal_max=self.theme_arousal_max,
                since=self.theme_since,
                until=self.theme_until,
                kind=self.theme_kind,
                thread=self.theme_thread,
            ),
            sequence_length=self.sequence_length,
            salience=Salience(
                intensity=self.salience_intensity,
                recency=self.salience_recency,
                rarity=self.salience_rarity,
                half_life_hours=float(self.salience_half_life_hours),
            ),
        )

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        if not any(self.phase_weights):
            errors[NON_FIELD_ERRORS] = (
                "At least one display phase needs a weight above 0: the phases share each "
                "cycle by their weights."
            )
        for low, high, what in (
            ("theme_valence_min", "theme_valence_max", "valence"),
            ("theme_arousal_min", "theme_arousal_max", "arousal"),
            ("theme_since", "theme_until", "time"),
        ):
            lowest, highest = getattr(self, low), getattr(self, high)
            if lowest is not None and highest is not None and lowest > highest:
                errors[high] = f"The theme's highest {what} is below its lowest."
        thread = self.theme_thread
        if thread and not ContinuityThread.objects.filter(key=thread).exists():
            errors["theme_thread"] = (
                f"No continuity thread has the key {thread!r}; the dream pages list the threads."
            )
        if errors:
            raise ValidationError(errors)

    @property
    def cadence_description(self) -> str:
        if self.cadence == Cadence.DAILY:
            return f"Daily at {self.daily_at:%H:%M} ({self.time_zone})"
        return f"Every {self.interval_hours} hours"

    @property
    def period(self) -> timedelta:
        if self.cadence == Cadence.DAILY:
            return timedelta(days=1)
        return timedelta(hours=self.interval_hours)

    def slot_start(self, now: datetime) -> datetime:
        """The start of the cadence slot `now` falls in: the last daily time at or before
        `now` (in the dream time zone), or the last interval boundary since creation."""
        if self.cadence == Cadence.DAILY:
            local = now.astimezone(self.zone)
            today = datetime.combine(local.date(), self.daily_at, tzinfo=self.zone)
            start = today if today <= local else today - timedelta(days=1)
            return start.astimezone(UTC)
        elapsed = (now - self.created_at) // self.period
        return self.created_at + self.period * elapsed

    def next_slot(self, now: datetime) -> datetime:
        if self.cadence == Cadence.DAILY:
            local_next = (self.slot_start(now).astimezone(self.zone) + timedelta(days=1)).replace(
                hour=self.daily_at.hour, minute=self.daily_at.minute
            )
            return local_next.astimezone(UTC)
        return self.slot_start(now) + self.period


class Trigger(models.TextChoices):
    SCHEDULE = "schedule", "Schedule"
    DASHBOARD = "dashboard", "Dashboard"
    ADMIN = "admin", "Admin"
    CLI = "cli", "Command line"
    API = "api", "API"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    WRITTEN = "written", "Written"
    SKIPPED = "skipped", "Skipped"
    FAILED = "failed", "Failed"
    ABANDONED = "abandoned", "Abandoned"


class RunStage(models.TextChoices):
    """Where an active run is: recorded as the run service goes, read by the dashboard."""

    QUEUED = "queued", "Queued"
    STARTING = "starting", "Starting"
    DREAMING = "dreaming", "Dreaming"
    WRITING = "writing", "Writing"
    DONE = "done", "Done"


class RunReason(models.TextChoices):
    NOT_DUE = "not_due", "Not due yet"
    DISABLED = "disabled", "Dreaming is turned off"
    NO_MATERIAL = "no_material", "Not enough new moments"
    ALREADY_RUNNING = "already_running", "Another run was in progress"
    ENGINE_NOT_READY = "engine_not_ready", "The engine was not ready"
    TIMEOUT = "timeout", "The engine took too long"
    INVALID_OUTPUT = "invalid_output", "The engine's answer was invalid"
    ENGINE_ERROR = "engine_error", "The engine failed"
    LEASE_EXPIRED = "lease_expired", "The run stopped without finishing"
    INTERRUPTED = "interrupted", "The run was stopped"
    NOT_CONFIGURED = "not_configured", "Not configured"
    HOLDER_DIED = "holder_died", "The process running it died"


class DreamReview(models.Model):
    """What a dream run wrote: the consolidation of recent moments into a dream."""

    sequence = models.PositiveIntegerField(unique=True, editable=False)
    title = models.CharField(max_length=120, validators=[validate_clean_text])
    narrative = models.TextField(validators=[validate_clean_text])
    themes = models.JSONField(default=list)
    threads = models.JSONField(default=list, help_text="Continuity threads as of this dream.")
    moment = models.OneToOneField(MindMoment, on_delete=models.PROTECT, related_name="dream_review")
    engine = models.CharField(max_length=32)
    model = models.CharField(max_length=200, blank=True)
    material_count = models.PositiveIntegerField()
    material_through_cycle = models.BigIntegerField(
        help_text="Moments up to this cycle were considered; the next dream starts after it."
    )
    personality = personality_field("reviews")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-sequence"]

    def __str__(self) -> str:
        return f"Dream {self.sequence}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("dream-page", args=[self.pk])

    def cited_moment_ids(self) -> set[int]:
        return {moment_id for theme in self.themes for moment_id in theme["moment_ids"]}


# Runs that hold the single-run lock: a queued run waits for a worker, a running run is
# being dreamt. The database allows one of them at a time.
ACTIVE_RUN_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)


class DreamRun(models.Model):
    """One attempt to dream, whatever became of it. A queued or running run is the lock:
    the database allows at most one, and the lease of a running run says when it may be
    presumed dead (its process renews it every few seconds)."""

    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING)
    reason = models.CharField(max_length=20, choices=RunReason.choices, blank=True)
    detail = models.CharField(max_length=500, blank=True, help_text="Sanitized, for operators.")
    engine = models.CharField(max_length=32, blank=True)
    model = models.CharField(max_length=200, blank=True)
    force = models.BooleanField(default=False)
    dry_run = models.BooleanField(default=False)
    stage = models.CharField(max_length=20, choices=RunStage.choices, blank=True)
    material_count = models.PositiveIntegerField(default=0)
    warnings = models.JSONField(default=list, blank=True)
    outcome = models.JSONField(
        default=dict, blank=True, help_text="What a dry run would have written."
    )
    holder = models.CharField(max_length=HOLDER_MAX_LENGTH, blank=True, help_text=HOLDER_HELP)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    review = models.OneToOneField(
        DreamReview, null=True, blank=True, on_delete=models.SET_NULL, related_name="run"
    )
    started_at = models.DateTimeField(default=timezone.now, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["trigger", "started_at"], name="dreamrun_trigger_idx"),
            models.Index(fields=["status", "started_at"], name="dreamrun_status_idx"),
        ]
        constraints = [
            # The single-run lock, kept by the database itself: one row at most may be
            # queued or running (a unique index over a constant, for those rows only).
            models.UniqueConstraint(
                models.Value(1),
                condition=Q(status__in=["queued", "running"]),
                name="dreamrun_one_active",
            ),
        ]

    def __str__(self) -> str:
        return f"Dream run {self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status not in ACTIVE_RUN_STATUSES


class ThreadStatus(models.TextChoices):
    NEW = "new", "New"
    RECURRING = "recurring", "Recurring"
    RESURFACED = "resurfaced", "Resurfaced"
    FADED = "faded", "Faded"


class ContinuityThread(models.Model):
    """A concern that carries across dreams, followed by its name."""

    key = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=80, validators=[validate_clean_text])
    note = models.CharField(max_length=400, blank=True, validators=[validate_clean_text])
    status = models.CharField(max_length=10, choices=ThreadStatus.choices)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    times_seen = models.PositiveIntegerField(default=1)
    last_seen_sequence = models.PositiveIntegerField(
        help_text="The dream review in which the thread was last seen."
    )

    class Meta:
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"

    @staticmethod
    def key_for(name: str) -> str:
        """The key a thread is followed by from dream to dream: its name, slugified."""
        return slugify(name)[:80] or "thread"


class ConductorLease(models.Model):
    """Who conducts, until when, and what observers should be told on connect.

    Exactly one conductor may hold the lease; it renews it every second. A standby takes
    over once it expires. The snapshot fields are what a web process tells a new observer.
    """

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID, editable=False)
    holder = models.CharField(max_length=HOLDER_MAX_LENGTH, help_text=HOLDER_HELP)
    expires_at = models.DateTimeField()
    state = models.CharField(max_length=12, blank=True)
    sessions = models.PositiveIntegerField(default=0)
    seq = models.BigIntegerField(default=0)
    last_sigil_moment = models.ForeignKey(
        MindMoment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_sigil_is_dream = models.BooleanField(default=False)
    # How the dream loop chose the last sigil (`dreams.replay.Replayed`'s fields), so that a
    # display joining mid-cycle captions it as those watching all along saw it.
    last_sigil_replay = models.JSONField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="conductor_lease_single_row"),
        ]

    def __str__(self) -> str:
        return f"Conductor {self.holder}"


class SchedulerSource(models.TextChoices):
    EMBEDDED = "embedded", "The server's own scheduler"
    CRON = "cron", "Cron (run_dream --schedule-every)"


class SchedulerHeartbeat(models.Model):
    """The last time each kind of scheduler checked whether a dream was due, and how often
    it says it checks: health reads it to tell whether anything is checking at all."""

    source = models.CharField(max_length=10, choices=SchedulerSource.choices, unique=True)
    interval_s = models.PositiveIntegerField(help_text="How often this scheduler checks.")
    checked_at = models.DateTimeField()
    holder = models.CharField(max_length=HOLDER_MAX_LENGTH, blank=True, help_text=HOLDER_HELP)
    outcome = models.CharField(max_length=40, blank=True, help_text="What the last check did.")

    def __str__(self) -> str:
        return f"{self.get_source_display()} checked at {self.checked_at:%Y-%m-%d %H:%M}"


class ReplayTally(models.Model):
    """How often the dream loop replayed a moment on a day (UTC), in a mode: the history
    behind the resurfacing charts. Written in batches (dreams.services.resurfacing)."""

    moment = models.ForeignKey(MindMoment, on_delete=models.CASCADE, related_name="replay_tallies")
    day = models.DateField()
    mode = models.CharField(max_length=12, choices=ReplayMode.choices)
    replays = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["moment", "day", "mode"], name="replay_tally_unique")
        ]
        indexes = [models.Index(fields=["day", "mode"], name="replay_tally_day_idx")]

    def __str__(self) -> str:
        return f"{self.replays} replays of moment {self.moment_id} on {self.day} ({self.mode})"
