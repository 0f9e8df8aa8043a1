"""One mind moment's page: its sigil, what it said and felt, and what led to it."""

import re

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from dreams.models import MomentKind, PerceptKind
from dreams.plots.svg import MILD_BAND, NEUTRAL_BAND, signed
from dreams.selectors.moment_page import moment_page as moment_page_data
from engines.registry import engine_spec

# The engine name the demo seed writes (dreams.services.seeding.SEED_ENGINE; pages do not
# import services).
SEED_ENGINE = "seed"
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


def _degree(value: float, low: str, high: str) -> str:
    # The plots' bands: near the centre a reading is neither, then "mildly" so.
    if abs(value) < NEUTRAL_BAND:
        return ""
    word = high if value > 0 else low
    return f"mildly {word}" if abs(value) < MILD_BAND else word


def reading_words(valence: float, arousal: float) -> str:
    """An emotional reading in words: "pleasant, mildly calm"; "neutral" at the centre."""
    words = [_degree(valence, "unpleasant", "pleasant"), _degree(arousal, "calm", "excited")]
    return ", ".join(word for word in words if word) or "neutral"


def engine_label(engine_id: str) -> str:
    if engine_id == SEED_ENGINE:
        return "Demo seed"
    spec = engine_spec(engine_id)
    return spec.label if spec else engine_id


def thinking_time(processing_ms: int | None) -> str:
    """How long the engine took: "850 ms", "4.2 s", "2 min 5 s"."""
    if processing_ms is None:
        return ""
    if processing_ms < 1_000:
        return f"{processing_ms} ms"
    if processing_ms < 60_000:
        return f"{processing_ms / 1_000:.1f} s"
    minutes, seconds = divmod(round(processing_ms / 1_000), 60)
    return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"


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
            "thinking_time": thinking_time(moment.processing_ms),
            "reading": reading_words(moment.valence, moment.arousal),
            "valence": signed(moment.valence),
            "arousal": signed(moment.arousal),
            # It lands in a style attribute: only a colour, never anything else.
            "colour": moment.colour.lower() if COLOUR.fullmatch(moment.colour) else "",
            "percepts": [
                {"word": PERCEPT_WORDS.get(line.kind, "Perceived"), "line": line}
                for line in page.percepts
            ],
        },
    )
