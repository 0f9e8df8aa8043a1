"""Reads for one mind moment's page: the moment, what led to it (its percepts, the moments
it followed), the dreams that speak of it, and its neighbours by cycle.

Six queries, each bounded and indexed, however long the history grows: the moment by
primary key (with its own dream review, a one-to-one join); its prior moments through the
many-to-many table's index; its percept rows through the percepts' foreign-key index; its
neighbours by the unique index on `cycle`; and the few reviews whose material window holds
its cycle (see `_citing_reviews`).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.db.models.functions import Substr

from dreams.models import DreamReview, MindMoment, MomentKind, Percept, PerceptKind

# A live moment follows the three before it; a dream's moment follows the moments it cites
# (its dream's page shows them all, by theme). A page never lists more than this many.
PRIOR_MOMENTS_SHOWN = 12
# How much of a neighbour's or a prior moment's text stands in for a missing phrase.
TEXT_START_CHARS = 80
# A review only cites moments of its own material, the moments after the previous
# review's watermark up to its own (`material_through_cycle`), so the first review whose
# watermark reaches a moment's cycle is the one that can cite it. A few more are read in
# case a watermark ever went back (a review written from no new material records 0).
CITING_REVIEWS_CHECKED = 4
# What a percept said, by kind: a visual percept's description, an audio one's transcript.
PERCEPT_TEXT_KEYS: dict[str, str] = {
    PerceptKind.VISUAL: "description",
    PerceptKind.AUDIO: "transcript",
}


@dataclass(frozen=True)
class PerceptLine:
    kind: str
    text: str
    received_at: datetime | None


@dataclass(frozen=True)
class ThemeCitation:
    review_id: int
    sequence: int
    title: str
    themes: list[str]


@dataclass(frozen=True)
class Neighbour:
    id: int
    cycle: int
    label: str


@dataclass(frozen=True)
class MomentPage:
    moment: MindMoment
    # For a dream moment, the review the dream run wrote with it.
    review: DreamReview | None
    percepts: list[PerceptLine]
    prior: list[MindMoment]
    prior_more: bool
    citations: list[ThemeCitation]
    previous: Neighbour | None
    next: Neighbour | None


def _short(queryset: QuerySet[MindMoment]) -> QuerySet[MindMoment]:
    """Moments as links show them: a phrase, or the start of the text."""
    return queryset.only("id", "cycle", "kind", "sigil_phrase", "has_sigil").annotate(
        text_start=Substr("text", 1, TEXT_START_CHARS)
    )


def _moment(pk: int) -> MindMoment | None:
    return (
        MindMoment.objects.select_related("dream_review", "personality")
        .defer(
            "sigil_code",
            "dream_review__narrative",
            "dream_review__themes",
            "dream_review__threads",
        )
        .filter(pk=pk)
        .first()
    )


def _review(moment: MindMoment) -> DreamReview | None:
    try:
        return moment.dream_review
    except DreamReview.DoesNotExist:
        return None


def _text(payload: Any, kind: str) -> str:
    if not isinstance(payload, dict):
        return ""
    value = payload.get(PERCEPT_TEXT_KEYS.get(kind, ""))
    if not value:
        value = next((payload[key] for key in PERCEPT_TEXT_KEYS.values() if payload.get(key)), "")
    return value.strip() if isinstance(value, str) else ""


def _percepts(moment: MindMoment) -> list[PerceptLine]:
    """What the moment perceived, as text. The moment keeps the payloads it was made from
    (its percept rows go when their session is deleted); the rows, while kept, add when
    each arrived. A cycle consumes at most a hundred percepts, so both are bounded."""
    rows = list(
        Percept.objects.filter(moment=moment)
        .only("kind", "payload", "received_at")
        .order_by("received_at", "id")
    )
    lines: list[PerceptLine] = []
    for kind, stored in (
        (PerceptKind.VISUAL, moment.visual_percepts),
        (PerceptKind.AUDIO, moment.audio_percepts),
    ):
        payloads = stored if isinstance(stored, list) else []
        kept = [row for row in rows if row.kind == kind]
        # The rows match the stored payloads one for one, in order, unless some were pruned.
        times = [row.received_at for row in kept] if len(kept) == len(payloads) else []
        for index, payload in enumerate(payloads):
            text = _text(payload, kind)
            if text:
                lines.append(PerceptLine(kind, text, times[index] if times else None))
    if not lines:
        # Older moments may not have kept their payloads: the rows say it instead.
        lines = [
            PerceptLine(row.kind, text, row.received_at)
            for row in rows
            if (text := _text(row.payload, row.kind))
        ]
    timed = [line for line in lines if line.received_at is not None]
    if len(timed) == len(lines):
        # Seen and heard in the order they arrived.
        lines.sort(key=lambda line: line.received_at or datetime.min)
    return lines


def _citing_reviews(moment: MindMoment) -> list[ThemeCitation]:
    """The dream reviews whose themes cite the moment, with the themes' names. Dreams only
    consolidate waking moments, and only those within their material window, so at most
    `CITING_REVIEWS_CHECKED` reviews (those whose watermark first reaches the moment's
    cycle) have their themes read: never every review's JSON."""
    if moment.kind == MomentKind.DREAM:
        return []
    candidates = (
        DreamReview.objects.filter(material_through_cycle__gte=moment.cycle)
        .only("id", "sequence", "title", "themes")
        .order_by("material_through_cycle", "sequence")[:CITING_REVIEWS_CHECKED]
    )
    citations = []
    for review in candidates:
        themes = review.themes if isinstance(review.themes, list) else []
        names = [
            str(theme.get("name") or "")
            for theme in themes
            if isinstance(theme, dict)
            and isinstance(theme.get("moment_ids"), list)
            and moment.pk in theme["moment_ids"]
        ]
        if names:
            citations.append(ThemeCitation(review.pk, review.sequence, review.title, names))
    return sorted(citations, key=lambda citation: citation.sequence)


def _neighbour(moment: MindMoment, *, newer: bool) -> Neighbour | None:
    moments = MindMoment.objects.filter(
        **({"cycle__gt": moment.cycle} if newer else {"cycle__lt": moment.cycle})
    ).order_by("cycle" if newer else "-cycle")
    found = _short(moments).first()
    if found is None:
        return None
    return Neighbour(found.pk, found.cycle, found.sigil_phrase or found.text_start)  # type: ignore[attr-defined]


def moment_page(pk: int) -> MomentPage | None:
    """Everything the page of moment `pk` shows, or None when there is no such moment."""
    moment = _moment(pk)
    if moment is None:
        return None
    prior = list(_short(moment.prior_moments.order_by("-cycle"))[: PRIOR_MOMENTS_SHOWN + 1])
    return MomentPage(
        moment=moment,
        review=_review(moment),
        percepts=_percepts(moment),
        prior=prior[:PRIOR_MOMENTS_SHOWN],
        prior_more=len(prior) > PRIOR_MOMENTS_SHOWN,
        citations=_citing_reviews(moment),
        previous=_neighbour(moment, newer=False),
        next=_neighbour(moment, newer=True),
    )
