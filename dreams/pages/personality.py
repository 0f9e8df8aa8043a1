"""The personality page (staff): edit the mind's voice, try it on the selected engine
without storing anything, save it as a new version, activate a version.

Every POST passes the control rule (`ControlRuleMiddleware`); the page shows its controls
only to those the rule lets through. A trial runs in this request within the time limit of
the call it imitates (see `dreams.services.personality_trials`).
"""

from django import forms
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from dreams.models import Personality
from dreams.selectors.personalities import (
    TRIAL_DREAM_MOMENTS,
    personality_active,
    personality_get,
    personality_versions,
)
from dreams.services.personalities import personality_activate, personality_create
from dreams.services.personality_trials import (
    TrialFailed,
    TrialKind,
    TrialOutcome,
    personality_try_cognition,
    personality_try_dream,
)
from dreams.views import PERCEPT_TEXT_MAX_CHARS
from dreamsite.control import control_refusal
from dreamsite.validators import validate_clean_text
from engines.contracts import PerceptInput, Voice
from engines.registry import engine_spec
from engines.selection import selected_engine

# The sample a trial of the voice of cognition starts with: one thing seen, one heard.
DEFAULT_SEEN = "A person in a yellow raincoat stops at the window and waves."
DEFAULT_HEARD = "Is anyone in there? It is raining again."
SAMPLE_LINES_MAX = 10
SAVE_ACTIONS = ("save", "save-activate")
TRY_ACTIONS = {"try-cognition": TrialKind.COGNITION, "try-dream": TrialKind.DREAM}


class VoiceForm(forms.ModelForm):
    """The parts of a version an operator writes; the model's validators check them."""

    class Meta:
        model = Personality
        fields = ["name", "cognition_voice", "dreaming_voice", "sigil_style", "notes"]
        widgets = {
            "cognition_voice": forms.Textarea(attrs={"rows": 4}),
            "dreaming_voice": forms.Textarea(attrs={"rows": 4}),
            "sigil_style": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def voice(self) -> Voice:
        data = self.cleaned_data
        return Voice(data["cognition_voice"], data["dreaming_voice"], data["sigil_style"])


class SampleForm(forms.Form):
    """Sample percepts for a trial of the voice of cognition: one per line."""

    seen = forms.CharField(
        label="What it sees",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        validators=[validate_clean_text],
        help_text="One visual percept per line.",
    )
    heard = forms.CharField(
        label="What it hears",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        validators=[validate_clean_text],
        help_text="One audio percept per line.",
    )

    def _lines(self, name: str) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data.get(name, "").splitlines()]
        lines = [line for line in lines if line]
        if len(lines) > SAMPLE_LINES_MAX:
            self.add_error(name, f"Give at most {SAMPLE_LINES_MAX} lines.")
        for line in lines:
            if len(line) > PERCEPT_TEXT_MAX_CHARS:
                self.add_error(
                    name, f"Keep each line within {PERCEPT_TEXT_MAX_CHARS:,} characters."
                )
                break
        return lines

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        seen, heard = self._lines("seen"), self._lines("heard")
        if not (seen or heard):
            raise forms.ValidationError("Write something the mind sees or hears to try it on.")
        cleaned["percepts"] = [
            *(PerceptInput(kind="visual", description=line) for line in seen),
            *(PerceptInput(kind="audio", transcript=line) for line in heard),
        ]
        return cleaned


def _editor_start(request: HttpRequest) -> Personality | None:
    """The version the editor starts from: `?version=<id>`, else the active one."""
    version = request.GET.get("version", "")
    chosen = personality_get(int(version)) if version.isdigit() and len(version) < 10 else None
    return chosen or personality_active()


def _render(
    request: HttpRequest,
    form: VoiceForm,
    sample: SampleForm,
    *,
    trial: TrialOutcome | None = None,
    trial_failure: str = "",
    status: int = 200,
) -> HttpResponse:
    selection = selected_engine()
    spec = engine_spec(selection.engine)
    refusal = control_refusal(request)
    return render(
        request,
        "personality/page.html",
        {
            "form": form,
            "sample": sample,
            "trial": trial,
            "trial_failure": trial_failure,
            "versions": list(personality_versions()),
            "active": personality_active(),
            "selection": selection,
            "engine_follows": spec.follows_personality if spec else True,
            "dream_moments": TRIAL_DREAM_MOMENTS,
            "controls": refusal is None,
            "control_refusal": refusal,
        },
        status=status,
    )


@staff_member_required
@require_http_methods(["GET", "POST"])
def personality_page(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        start = _editor_start(request)
        initial = {
            "name": start.name,
            "cognition_voice": start.cognition_voice,
            "dreaming_voice": start.dreaming_voice,
            "sigil_style": start.sigil_style,
        } if start else {}
        return _render(
            request,
            VoiceForm(initial=initial),
            SampleForm(initial={"seen": DEFAULT_SEEN, "heard": DEFAULT_HEARD}),
        )
    form, sample = VoiceForm(request.POST), SampleForm(request.POST)
    action = request.POST.get("action", "")
    if not form.is_valid():
        return _render(request, form, sample, status=400)
    if action in SAVE_ACTIONS:
        saved = personality_create(
            created_by=request.user.get_username(),
            activate=action == "save-activate",
            **form.cleaned_data,
        )
        state = "It is now the active version." if saved.is_active else "It is not active yet."
        messages.success(request, f"Saved as version {saved.version}. {state}")
        return redirect(f"{reverse('personality')}?version={saved.pk}")
    kind = TRY_ACTIONS.get(action)
    if kind is None:
        return _render(request, form, sample, status=400)
    if kind is TrialKind.COGNITION and not sample.is_valid():
        return _render(request, form, sample, status=400)
    try:
        if kind is TrialKind.COGNITION:
            trial = personality_try_cognition(
                voice=form.voice(), percepts=sample.cleaned_data["percepts"]
            )
        else:
            trial = personality_try_dream(voice=form.voice())
    except TrialFailed as failed:
        return _render(request, form, sample, trial_failure=failed.message)
    return _render(request, form, sample, trial=trial)


@staff_member_required
@require_POST
def personality_activate_page(request: HttpRequest, pk: int) -> HttpResponse:
    personality = personality_get(pk)
    if personality is None:
        raise Http404("No such personality version.")
    try:
        personality_activate(personality=personality)
    except Personality.DoesNotExist:
        raise Http404("No such personality version.") from None
    messages.success(request, f"Version {personality.version} is now the active personality.")
    return redirect("personality")
