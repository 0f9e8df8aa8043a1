"""The wizard's steps and their forms. Every step is validated on the server; the ranges
and rules come from the dream settings model, so the wizard and the admin agree."""

from dataclasses import dataclass
from datetime import time
from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.conf import settings

from dreams.models import LOOP_TIMING_RANGES, Cadence, validate_time_zone
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


class TimingForm(WizardForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
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
