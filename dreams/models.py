"""Mind moments, live sessions and the percepts they send.

History is append-only: once written, a mind moment's content never changes (its sigil
images are served with immutable caching), so the admin shows it read-only.
"""

import uuid

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

CIRCUMPLEX_VALIDATORS = [MinValueValidator(-1.0), MaxValueValidator(1.0)]
COLOUR_VALIDATOR = RegexValidator(r"^#[0-9a-f]{6}$", "A colour is #rrggbb in lower-case hex.")


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


class Session(models.Model):
    """A perceptor's live connection: it sends percepts while it is open."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client_name = models.CharField(max_length=80, blank=True)
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


class MindMoment(models.Model):
    """One thought of the mind: an observation, a sigil and an emotional reading."""

    cycle = models.BigIntegerField(unique=True, editable=False)
    kind = models.CharField(max_length=8, choices=MomentKind.choices, default=MomentKind.LIVE)
    text = models.TextField(blank=True)
    sigil_phrase = models.CharField(max_length=120, blank=True)
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
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-cycle"]
        indexes = [
            models.Index(fields=["kind", "cycle"], name="moment_kind_cycle_idx"),
            models.Index(fields=["engine", "cycle"], name="moment_engine_cycle_idx"),
            models.Index(fields=["created_at"], name="moment_created_idx"),
            models.Index(fields=["id"], condition=Q(has_sigil=True), name="moment_sigil_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(valence__gte=-1.0, valence__lte=1.0)
                & Q(arousal__gte=-1.0, arousal__lte=1.0),
                name="moment_circumplex_in_range",
            ),
            models.CheckConstraint(condition=Q(cycle__gte=0), name="moment_cycle_not_negative"),
        ]

    def __str__(self) -> str:
        return f"Cycle {self.cycle}: {self.sigil_phrase or self.text[:40]}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.has_sigil = bool(self.sigil_commands)
        super().save(*args, **kwargs)


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
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} percept {self.pk}"
