"""Server-rendered pages."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dreams.dashboard import Dashboard
from dreams.protocol import PERCEPT_DATA
from dreams.selectors.moments import moments_exist
from dreamsite.control import LOGIN_COPY, control_refusal


def home(request: HttpRequest) -> HttpResponse:
    """The dashboard. Its script refreshes parts of it by fetching this page again, so the
    first paint and every update come from the same templates."""
    refusal = control_refusal(request)
    context = {
        "dashboard": Dashboard(),
        # Controls show exactly when the API would accept their writes.
        "controls": refusal is None,
        "control_refusal": refusal,
    }
    return render(request, "dashboard.html", context)


def observe(request: HttpRequest) -> HttpResponse:
    """The full-screen display: everything it shows arrives over /ws/observe/."""
    # Only to choose the copy shown until the first sigil arrives.
    has_sigils = moments_exist(with_sigil=True)
    return render(request, "observe.html", {"has_sigils": has_sigils})


# The longest percept text the session socket accepts (its schema's limit), so the page's
# counter and the server cannot disagree.
PERCEPT_TEXT_MAX_CHARS: int = PERCEPT_DATA["visual"]["properties"]["description"]["maxLength"]


def perceive(request: HttpRequest) -> HttpResponse:
    """The perceptor. Its session socket authenticates with the staff user's session
    cookie (so the page carries no token) under the same rule as this page's controls."""
    refusal = control_refusal(request)
    context = {
        "controls": refusal is None,
        "control_refusal": refusal,
        "needs_login": refusal == LOGIN_COPY,
        "text_max_chars": PERCEPT_TEXT_MAX_CHARS,
        "text_max_label": f"{PERCEPT_TEXT_MAX_CHARS:,}",
    }
    return render(request, "perceive.html", context)
