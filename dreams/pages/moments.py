"""One mind moment's page: its sigil, what it said and felt, and what led to it."""

import re

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from dreams.models import MomentKind, PerceptKind
from dreams.pages.wording import duration_copy
from dreams.plots.svg import reading_degrees, signed
from dreams.selectors.moment_page import moment_page as moment_page_data
from dreams.templatetags.engine_names import engine_label

COLOUR = re.compile(r"#[0-9a-fA-F]{6}")

# What each kind of moment is, as a person would say it.
KIND_COPY: dict[str, tuple[str, str]] = {
    MomentKind.LIVE: (
        "Waking moment",
        "The mind had it while a perceptor shared what it saw and heard.",
    ),
    MomentKind.DREAM: ("Dream", "A dream run wrote it as it consolidated earlier moments."),
    MomentKind.SEED: (
        "Demo moment",
        "Seeded to show the site before anyone has shared anything with the mind.",
    ),
}
PERCEPT_WORDS: dict[str, str] = {PerceptKind.VISUAL: "Seen", PerceptKind.AUDIO: "Heard"}


def reading_words(valence: float, arousal: float) -> str:
    """An emotional reading in words: "pleasant, mildly calm"; "neutral" at the centre."""
    return ", ".join(word for word in reading_degrees(valence, arousal) if word) or "neutral"


def moment_page(request: HttpRequest, pk: int) -> HttpResponse:
    page = moment_page_data(pk)
    if page is None:
        raise Http404("No such moment.")
    moment = page.moment
    kind, kind_note = KIND_COPY.get(moment.kind, (moment.kind.capitalize(), ""))
    return render(
        request,
        "moments/detail.html",
        {
            "page": page,
            "moment": moment,
            "kind_word": kind,
            "kind_note": kind_note,
            "engine_label": engine_label(moment.engine),
            "thinking_time": duration_copy(moment.processing_ms),
            "reading": reading_words(moment.valence, moment.arousal),
            "valence": signed(moment.valence),
            "arousal": signed(moment.arousal),
            # It lands in a style attribute: only a colour, never anything else.
            "colour": moment.colour.lower() if COLOUR.fullmatch(moment.colour) else "",
            # Derived from the reading (always #rrggbb): the triad displays tint by.
            "triad": vars(moment.colour_triad).items(),
            "percepts": [
                {"word": PERCEPT_WORDS.get(line.kind, "Perceived"), "line": line}
                for line in page.percepts
            ],
        },
    )
