"""The wizard's steps and their forms. Every step is validated on the server; the ranges
and rules come from the dream settings model, so the wizard and the admin agree."""

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any, cast
from zoneinfo import ZoneInfo, available_timezones

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Field
from django.utils import timezone

from dreams.models import (
    LOOP_TIMING_RANGES,
    Cadence,
    ContinuityThread,
    DreamSettings,
    LoopTiming,
    MomentKind,
    validate_time_zone,
)
from dreams.replay import REPLAY_FIELDS, REPLAY_PARAMETERS, ReplayMode
from engines.readiness import Readiness
from engines.registry import ENGINES
from engines.selection import selection_refusal


@dataclass(frozen=True)
class Step:
    name: str
    title: str


STEPS: tuple[Step, ...] = (
    Step("welcome", "Welcome"),
    Step("cadence", "Dream cadence"),
    Step("engine", "Dream engine"),
    Step("timing", "Live loop timing"),
    Step("review", "Review and finish"),
)
STEP_NAMES: tuple[str, ...] = tuple(step.name for step in STEPS)


def duration_text(ms: int) -> str:
    """Milliseconds as a person would say them: 500 ms, 5 s, 1.5 min, 2 h."""
    if ms < 1000:
        return f"{ms} ms"
    for unit, size in (("h", 3_600_000), ("min", 60_000), ("s", 1000)):
        if ms >= size:
            return f"{ms / size:.4g} {unit}"
    return f"{ms} ms"


class WizardForm(forms.Form):
    """Links each input to its help text and its errors, for screen readers."""

    def describe_fields(self) -> None:
        for name, field in self.fields.items():
            bound = self[name]
            ids = []
            if field.help_text:
                ids.append(f"{bound.auto_id}_help")
            if self.is_bound and bound.errors:
                ids.append(f"{bound.auto_id}_error")
                field.widget.attrs["aria-invalid"] = "true"
            if ids:
                field.widget.attrs["aria-describedby"] = " ".join(ids)


class WelcomeForm(WizardForm):
    pass


def _time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(available_timezones())]


class CadenceForm(WizardForm):
    enabled = forms.BooleanField(
        required=False,
        label="Dream on a schedule",
        help_text="Off: no scheduled dreams. Dreams can still be generated from the dashboard.",
    )
    cadence = forms.ChoiceField(
        choices=Cadence.choices, widget=forms.RadioSelect, label="How often the mind dreams"
    )
    daily_at = forms.TimeField(
        required=False,
        label="Time of the daily dream",
        help_text="In the time zone below.",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    interval_hours = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=168,
        label="Hours between dreams",
        help_text="From 1 to 168 (a week).",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    time_zone = forms.ChoiceField(
        label="Time zone",
        help_text="The daily dream follows this zone's clock, summer time included.",
        validators=[validate_time_zone],
    )
    min_new_moments = forms.IntegerField(
        min_value=1,
        label="New mind moments a dream needs",
        help_text="A scheduled dream is skipped until at least this many new moments exist.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        time_zone = self.fields["time_zone"]
        assert isinstance(time_zone, forms.ChoiceField)
        time_zone.choices = _time_zone_choices()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for cadence, name, message in (
            (Cadence.DAILY, "daily_at", "Give the time of the daily dream, e.g. 03:00."),
            (Cadence.INTERVAL, "interval_hours", "Give the hours between dreams, from 1 to 168."),
        ):
            missing = data.get(name) is None and not self.has_error(name)
            if data.get("cadence") == cadence and missing:
                self.add_error(name, message)
        return data


class EngineForm(WizardForm):
    engine = forms.ChoiceField(
        choices=[(spec.id.value, spec.label) for spec in ENGINES],
        label="Dream engine",
        error_messages={"required": "Choose one of the ready engines."},
    )

    def clean_engine(self) -> str:
        engine = self.cleaned_data["engine"]
        refusal = selection_refusal(engine=engine)
        if refusal is not None:
            raise forms.ValidationError(" ".join(filter(None, [refusal.message, refusal.fix_hint])))
        return engine


def any_engine_ready(readiness: list[Readiness]) -> bool:
    return any(item.ready and item.selectable for item in readiness)


def _timing_field(name: str, label: str, purpose: str, default_ms: int) -> forms.IntegerField:
    low, high = LOOP_TIMING_RANGES[name]
    return forms.IntegerField(
        min_value=low,
        max_value=high,
        label=f"{label} (milliseconds)",
        help_text=(
            f"{purpose} From {low:,} ({duration_text(low)}) to {high:,} "
            f"({duration_text(high)}); the server's default is {default_ms:,} "
            f"({duration_text(default_ms)})."
        ),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


TIMING_FIELDS = ("cognitive_cycle_ms", "dream_cycle_ms", "session_timeout_ms")
# A datetime-local input's value.
LOCAL_INPUT_FORMAT = "%Y-%m-%dT%H:%M"


def _settings_field(name: str) -> "Field[Any, Any]":
    # The replay settings are concrete fields of DreamSettings, never relations.
    return cast("Field[Any, Any]", DreamSettings._meta.get_field(name))


def _model_range(name: str) -> tuple[Any, Any]:
    """The lowest and highest value the dream settings model accepts for `name`."""
    validators = _settings_field(name).validators
    low = next((v.limit_value for v in validators if isinstance(v, MinValueValidator)), None)
    high = next((v.limit_value for v in validators if isinstance(v, MaxValueValidator)), None)
    return low, high


def _number_field(name: str, label: str, help_text: str, *, whole: bool = False) -> forms.Field:
    low, high = _model_range(name)
    if whole:
        return forms.IntegerField(
            required=False,
            min_value=low,
            max_value=high,
            label=label,
            help_text=help_text,
            widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        )
    return forms.FloatField(
        required=False,
        min_value=low,
        max_value=high,
        label=label,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.05"}),
    )


class ZonedDateTimeField(forms.DateTimeField):
    """A wall-clock date and time read in a given time zone (the dream time zone), not in
    the server's."""

    def __init__(self, *, zone: ZoneInfo, **kwargs: Any) -> None:
        self.zone = zone
        super().__init__(
            input_formats=[LOCAL_INPUT_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"],
            widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT_FORMAT),
            **kwargs,
        )

    def to_python(self, value: Any) -> datetime | None:
        with timezone.override(self.zone):
            return super().to_python(value)


def local_input(moment: datetime | None, zone: ZoneInfo) -> str:
    """A stored time as the wizard's datetime-local input shows it."""
    return "" if moment is None else moment.astimezone(zone).strftime(LOCAL_INPUT_FORMAT)


@dataclass(frozen=True)
class ReplaySection:
    mode: str
    title: str
    note: str
    fields: list[forms.BoundField]
    has_errors: bool


REPLAY_SECTIONS = (
    (
        ReplayMode.THEME,
        "Theme: which moments",
        "A region of the circumplex, a time window, a kind, a continuity thread; a setting "
        "left empty does not restrict.",
    ),
    (ReplayMode.SEQUENCE, "Sequence: how long a run", ""),
    (
        ReplayMode.SALIENCE,
        "Salience: what makes a moment resurface",
        "A moment's chance is the product of its factors; every moment keeps some chance.",
    ),
)


def _thread_choices() -> list[tuple[str, str]]:
    threads = ContinuityThread.objects.order_by("name").values_list("key", "name")
    return [("", "Any thread"), *((key, name) for key, name in threads)]


class TimingForm(WizardForm):
    """The live loops' timing and what the dream loop replays. A step submitted without a
    replay mode keeps the replay settings as they are."""

    replay_mode = forms.ChoiceField(
        required=False,
        choices=ReplayMode.choices,
        widget=forms.RadioSelect,
        label="What the dream loop replays",
    )
    theme_valence_min = _number_field(
        "theme_valence_min", "Lowest valence", "From -1 (unpleasant) to 1 (pleasant)."
    )
    theme_valence_max = _number_field("theme_valence_max", "Highest valence", "From -1 to 1.")
    theme_arousal_min = _number_field(
        "theme_arousal_min", "Lowest arousal", "From -1 (calm) to 1 (excited)."
    )
    theme_arousal_max = _number_field("theme_arousal_max", "Highest arousal", "From -1 to 1.")
    theme_kind = forms.ChoiceField(
        required=False,
        choices=[("", "Any kind"), *MomentKind.choices],
        label="Kind of moment",
    )
    theme_thread = forms.ChoiceField(
        required=False,
        label="Continuity thread",
        help_text="Only moments cited by the dreams in which this thread was seen.",
    )
    sequence_length = _number_field(
        "sequence_length",
        "Moments in a row",
        "Consecutive moments replayed in order before a jump, from 2 to 100.",
        whole=True,
    )
    salience_intensity = _number_field(
        "salience_intensity",
        "Weight of emotional intensity",
        "From 0 (ignored) to 0.95: strong feelings resurface more.",
    )
    salience_recency = _number_field(
        "salience_recency",
        "Weight of recency",
        "From 0 (ignored) to 0.95: recent moments resurface more.",
    )
    salience_half_life_hours = _number_field(
        "salience_half_life_hours",
        "Recency half-life (hours)",
        "After this many hours a moment's recency has halved; 168 is a week.",
        whole=True,
    )
    salience_rarity = _number_field(
        "salience_rarity",
        "Weight of rarity",
        "From 0 (ignored) to 0.95: moments seldom replayed resurface more.",
    )

    def __init__(self, *args: Any, zone: ZoneInfo | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Built here, not at import, so the defaults shown are the environment's of now.
        self.fields["cognitive_cycle_ms"] = _timing_field(
            "cognitive_cycle_ms",
            "Cognitive cycle",
            "While perceptors are connected, their percepts become a mind moment this often.",
            settings.COGNITIVE_CYCLE_MS,
        )
        self.fields["dream_cycle_ms"] = _timing_field(
            "dream_cycle_ms",
            "Dream cycle",
            "While no perceptor is connected, observers see a remembered moment this often.",
            settings.DREAM_CYCLE_MS,
        )
        self.fields["session_timeout_ms"] = _timing_field(
            "session_timeout_ms",
            "Session timeout",
            "A perceptor that sends nothing for this long is disconnected.",
            settings.SESSION_TIMEOUT_MS,
        )
        zone = zone or DreamSettings.load().zone
        for name, label in (("theme_since", "Moments from"), ("theme_until", "Moments until")):
            self.fields[name] = ZonedDateTimeField(
                zone=zone,
                required=False,
                label=label,
                help_text=f"A date and time in the dream time zone ({zone.key}); empty: no limit.",
            )
        thread = self.fields["theme_thread"]
        assert isinstance(thread, forms.ChoiceField)
        thread.choices = _thread_choices()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        mode = data.get("replay_mode")
        if not mode:
            return data
        for name in REPLAY_PARAMETERS[mode]:
            field = _settings_field(name)
            missing = data.get(name) is None and not self.has_error(name)
            if missing and not field.null and not field.blank:
                self.add_error(
                    name, f"Give a value: the {ReplayMode(mode).label.split(':')[0]} mode needs it."
                )
        # The model's rules across fields (a bound above the other, a thread that exists).
        row = DreamSettings.load()
        for name, value in self.replay_changes(data).items():
            setattr(row, name, value)
        try:
            row.clean()
        except ValidationError as error:
            # Its other rules (the phase weights) are not this step's.
            for name, messages in error.message_dict.items():
                if name in self.fields and not self.has_error(name):
                    self.add_error(name, messages)
        return data

    @staticmethod
    def replay_changes(data: dict[str, Any]) -> dict[str, Any]:
        """The replay settings to write: none without a mode; a number left empty keeps the
        stored one, an empty theme bound stops restricting."""
        if not data.get("replay_mode"):
            return {}
        changes = {}
        for name in REPLAY_FIELDS:
            value = data.get(name)
            field = _settings_field(name)
            if value is None and not field.null:
                continue
            changes[name] = value
        return changes

    @property
    def replay_sections(self) -> list[ReplaySection]:
        """The modes' settings, each under its heading (shown when its mode is chosen)."""
        return [
            ReplaySection(
                mode=mode,
                title=title,
                note=note,
                fields=[self[name] for name in REPLAY_PARAMETERS[mode]],
                has_errors=self.is_bound
                and any(self.has_error(name) for name in REPLAY_PARAMETERS[mode]),
            )
            for mode, title, note in REPLAY_SECTIONS
        ]

    @property
    def loop_timing(self) -> LoopTiming:
        return LoopTiming(**{name: self.cleaned_data[name] for name in TIMING_FIELDS})


class ReviewForm(WizardForm):
    pass


FORMS: dict[str, type[WizardForm]] = {
    "welcome": WelcomeForm,
    "cadence": CadenceForm,
    "engine": EngineForm,
    "timing": TimingForm,
    "review": ReviewForm,
}


def submitted_values(form_class: type[WizardForm], post: dict) -> dict[str, str]:
    """The submitted values of this step's fields, as typed (kept even when invalid, so
    nothing the operator entered is lost)."""
    names = form_class().fields
    return {name: str(post[name]) for name in names if name in post}


def time_text(value: time) -> str:
    return value.strftime("%H:%M")
