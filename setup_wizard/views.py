"""The setup wizard's pages: thin views over the forms, the draft and `setup_finish`.

Staff only. Every change is a POST with CSRF; public demo mode shows the wizard read-only
and refuses every POST with product copy.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dreams.models import Cadence, DreamSettings, validate_time_zone
from dreams.selectors.dream_settings import replay_words
from dreamsite.control import PUBLIC_DEMO_COPY
from engines.readiness import all_engine_readiness, engine_readiness
from engines.selection import EngineSelectionError, selected_engine
from setup_wizard.forms import (
    FORMS,
    STEP_NAMES,
    STEPS,
    TIMING_FIELDS,
    TimingForm,
    WizardForm,
    any_engine_ready,
    duration_text,
    submitted_values,
    time_text,
)
from setup_wizard.models import SetupDraft
from setup_wizard.selectors import setup_draft_for
from setup_wizard.services import (
    CadenceValues,
    setup_draft_discard,
    setup_draft_save,
    setup_finish,
)

View = Callable[..., HttpResponse]

SKIP_REFUSED_COPY = "An engine is ready, so choose one: skipping is only for when none is."
NEEDS_ATTENTION_COPY = "This step needs attention before setup can finish."
# Steps with input; welcome and review only lead on.
INPUT_STEPS = ("cadence", "engine", "timing")


def staff_only(view: View) -> View:
    """Anonymous visitors go to the admin's login and come back; other accounts are told
    that setup is for staff."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not (request.user.is_active and request.user.is_staff):
            return render(request, "setup_wizard/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return guarded


def _staff(request: HttpRequest) -> User:
    """The staff member `staff_only` let in."""
    return cast(User, request.user)


def _step_url(name: str) -> str:
    return reverse("setup_wizard:step", kwargs={"name": name})


def _go(draft: SetupDraft) -> HttpResponse:
    return redirect(_step_url(draft.step))


def _skipped(draft: SetupDraft) -> bool:
    return draft.data.get("engine", {}).get("skipped") == "1"


def _dream_zone(draft: SetupDraft) -> ZoneInfo:
    """The time zone the cadence step chose (when valid), else the stored one: the replay
    theme's times are read in it."""
    chosen = draft.data.get("cadence", {}).get("time_zone", "")
    try:
        validate_time_zone(chosen)
    except ValidationError:
        return DreamSettings.load().zone
    return ZoneInfo(chosen)


def _make(draft: SetupDraft, name: str, data: dict[str, Any] | None) -> WizardForm:
    """The step's form, bound to `data` unless it is None."""
    extra: dict[str, Any] = {"zone": _dream_zone(draft)} if name == "timing" else {}
    return FORMS[name](**extra) if data is None else FORMS[name](data=data, **extra)


def _form(draft: SetupDraft, name: str) -> WizardForm | None:
    """The step's form bound to the draft's input (unbound before any input, so nothing
    is called missing before it was asked for); None for a skipped engine step."""
    if name == "engine" and _skipped(draft):
        return None
    return _make(draft, name, draft.data.get(name) or None)


def _valid(draft: SetupDraft, name: str) -> WizardForm | None:
    form = _form(draft, name)
    return form if form is not None and form.is_bound and form.is_valid() else None


def _first_invalid_step(draft: SetupDraft) -> str | None:
    for name in INPUT_STEPS:
        if name == "engine" and _skipped(draft):
            continue
        if _valid(draft, name) is None:
            return name
    return None


def _summary(draft: SetupDraft) -> dict[str, object]:
    """What finishing would write, for the review page."""
    cadence, engine, timing = (_valid(draft, name) for name in INPUT_STEPS)
    replay = None
    if isinstance(timing, TimingForm) and timing.replay_changes(timing.cleaned_data):
        # The replay settings as finishing would store them, said as the dashboard says them.
        row = DreamSettings.load()
        for field, value in timing.replay_changes(timing.cleaned_data).items():
            setattr(row, field, value)
        if cadence:
            row.time_zone = cadence.cleaned_data["time_zone"]
        replay = replay_words(row)
    return {
        "cadence": cadence.cleaned_data if cadence else None,
        "daily_at": time_text(cadence.cleaned_data["daily_at"])
        if cadence and cadence.cleaned_data["daily_at"]
        else "",
        "engine": engine_readiness(engine.cleaned_data["engine"]) if engine else None,
        "skipped": _skipped(draft),
        "current_engine": selected_engine() if _skipped(draft) else None,
        "timing": [
            (timing[name].label.removesuffix(" (milliseconds)"), value, duration_text(value))
            for name, value in timing.cleaned_data.items()
            if name in TIMING_FIELDS
        ]
        if timing
        else None,
        "replay": replay,
    }


def _render(
    request: HttpRequest,
    draft: SetupDraft,
    name: str,
    form: WizardForm | None,
    *,
    refusal: str = "",
    skip_error: str = "",
    status: int = 200,
) -> HttpResponse:
    if form is not None:
        form.describe_fields()
    readiness = all_engine_readiness() if name == "engine" else []
    index = STEP_NAMES.index(name)
    reached = STEP_NAMES.index(draft.reached)
    context = {
        "steps": [
            {
                "name": step.name,
                "title": step.title,
                "current": step.name == name,
                "open": number <= reached,
                "url": _step_url(step.name),
            }
            for number, step in enumerate(STEPS)
        ],
        "step": STEPS[index],
        "step_number": index + 1,
        "step_count": len(STEPS),
        "form": form,
        "read_only": settings.DREAMS_PUBLIC_DEMO,
        "refusal": refusal,
        "has_draft": draft.pk is not None,
        "engines": readiness,
        "engine_ready": any_engine_ready(readiness),
        "skipped": name == "engine" and _skipped(draft),
        "skip_error": skip_error,
        "summary": _summary(draft) if name == "review" else None,
        "Cadence": Cadence,
        "setup_completed_at": DreamSettings.load().setup_completed_at if index == 0 else None,
    }
    return render(request, f"setup_wizard/{name}.html", context, status=status)


@require_GET
@staff_only
def wizard(request: HttpRequest) -> HttpResponse:
    """Open the wizard where the operator left it."""
    return _go(setup_draft_for(_staff(request)))


@require_http_methods(["GET", "POST"])
@staff_only
def step(request: HttpRequest, name: str) -> HttpResponse:
    if name not in STEP_NAMES:
        raise Http404("No such setup step.")
    draft = setup_draft_for(_staff(request))
    if STEP_NAMES.index(name) > STEP_NAMES.index(draft.reached):
        return redirect(_step_url(draft.reached))
    if request.method == "GET":
        return _render(request, draft, name, _form(draft, name))
    if settings.DREAMS_PUBLIC_DEMO:
        form = _form(draft, name)
        return _render(request, draft, name, form, refusal=PUBLIC_DEMO_COPY, status=403)
    return _submit(request, draft, name)


@require_POST
@staff_only
def restart(request: HttpRequest) -> HttpResponse:
    """Drop the draft: the wizard starts again from the settings in force."""
    if settings.DREAMS_PUBLIC_DEMO:
        messages.error(request, PUBLIC_DEMO_COPY)
    else:
        setup_draft_discard(user=_staff(request))
    return redirect(_step_url(STEP_NAMES[0]))


def _submit(request: HttpRequest, draft: SetupDraft, name: str) -> HttpResponse:
    action = request.POST.get("action", "next")
    position = STEP_NAMES.index(name)
    form_class = FORMS[name]
    values = submitted_values(form_class, request.POST)
    if action == "back" and position > 0:
        # Going back keeps what was typed, valid or not, to be judged when it is submitted.
        kept = values if name in INPUT_STEPS else draft.data.get(name, {})
        setup_draft_save(draft=draft, step=name, values=kept, go_to=STEP_NAMES[position - 1])
        return _go(draft)
    if name == "engine" and action == "skip":
        if any_engine_ready(all_engine_readiness(fresh=True)):
            form = _make(draft, name, values or None)
            return _render(request, draft, name, form, skip_error=SKIP_REFUSED_COPY, status=400)
        setup_draft_save(draft=draft, step=name, values={"skipped": "1"}, go_to="timing")
        return _go(draft)
    if name == "review":
        return _finish(request, draft)
    form = _make(draft, name, values)
    if not form.is_valid():
        # Kept even when invalid: a reload shows the same input and the same errors.
        setup_draft_save(draft=draft, step=name, values=values, go_to=name)
        return _render(request, draft, name, form, status=400)
    setup_draft_save(draft=draft, step=name, values=values, go_to=STEP_NAMES[position + 1])
    return _go(draft)


def _finish(request: HttpRequest, draft: SetupDraft) -> HttpResponse:
    invalid = _first_invalid_step(draft)
    if invalid is not None:
        messages.error(request, NEEDS_ATTENTION_COPY)
        setup_draft_save(draft=draft, step="review", values={}, go_to=invalid)
        return _go(draft)
    cadence, engine, timing = (_valid(draft, name) for name in INPUT_STEPS)
    # Checked by _first_invalid_step.
    assert cadence is not None and isinstance(timing, TimingForm)
    chosen = cadence.cleaned_data
    try:
        row = setup_finish(
            user=_staff(request),
            cadence=CadenceValues(
                enabled=chosen["enabled"],
                cadence=Cadence(chosen["cadence"]),
                daily_at=chosen["daily_at"],
                interval_hours=chosen["interval_hours"],
                time_zone=chosen["time_zone"],
                min_new_moments=chosen["min_new_moments"],
            ),
            engine=engine.cleaned_data["engine"] if engine is not None else None,
            timing=timing.loop_timing,
            replay=timing.replay_changes(timing.cleaned_data),
            remote_addr=request.META.get("REMOTE_ADDR"),
        )
    except EngineSelectionError as error:
        # The engine stopped being ready since it was chosen: back to that step.
        messages.error(request, " ".join(filter(None, [error.message, error.fix_hint])))
        setup_draft_save(draft=draft, step="review", values={}, go_to="engine")
        return _go(draft)
    messages.success(request, _finished_copy(row))
    return redirect("home")


def _finished_copy(row: DreamSettings) -> str:
    engine = selected_engine()
    if not row.enabled:
        when = "Scheduled dreams are off"
    elif row.cadence == Cadence.DAILY:
        when = f"Dreams come daily at {time_text(row.daily_at)} ({row.time_zone})"
    else:
        when = f"Dreams come every {row.interval_hours} hours"
    copy = f"Setup is complete. {when}; the dream engine is {engine.readiness.engine_label}."
    if not engine.ready:
        copy += f" It is not ready yet: {engine.readiness.fix_hint}"
    return copy
