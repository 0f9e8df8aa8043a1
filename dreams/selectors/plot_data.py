"""Reads that feed the pictures (dreams.plots). Every one is bounded, so a page that draws
them stays fast at a million moments: the latest moments by the cycle index, a window of
dream reviews, the threads those reviews name."""

from dataclasses import dataclass
from datetime import datetime

from dreams.models import ContinuityThread, DreamReview, MindMoment
from dreams.plots.threads import Appearance, DreamColumn, ThreadRow

# The moments the dashboard's mood and circumplex draw: the latest ones.
PLOT_MOMENTS = 300
# The most dreams marked on one mood plot.
DREAM_MARKS = 60
# The thread timeline: this many dreams as columns, this many threads as rows.
TIMELINE_DREAMS = 20
TIMELINE_ROWS = 16
# On a dream's page, its timeline also shows up to this many later dreams.
LATER_DREAMS = 5
# Just what the pictures draw of a moment (never its text or its sigil).
PLOT_FIELDS = ("id", "cycle", "kind", "created_at", "valence", "arousal", "colour", "sigil_phrase")


def plot_moments(*, limit: int = PLOT_MOMENTS) -> list[MindMoment]:
    """The latest `limit` moments (by cycle, through its unique index), oldest first."""
    latest = list(MindMoment.objects.only(*PLOT_FIELDS).order_by("-cycle")[:limit])
    latest.reverse()
    return latest


def theme_moments(review: DreamReview) -> list[MindMoment]:
    """The moments a dream's themes cite (at most 5 themes of 50), oldest first."""
    ids = review.cited_moment_ids()
    return list(MindMoment.objects.only(*PLOT_FIELDS).filter(pk__in=ids).order_by("cycle"))


def dreams_between(
    start: datetime, end: datetime, *, limit: int = DREAM_MARKS
) -> list[DreamReview]:
    """The dreams written from `start` to `end`, the latest `limit` of them."""
    reviews = DreamReview.objects.filter(created_at__gte=start, created_at__lte=end)
    return list(reviews.only("id", "sequence", "title", "created_at").order_by("-sequence")[:limit])


@dataclass(frozen=True)
class ThreadTimelineData:
    rows: list[ThreadRow]
    dreams: list[DreamColumn]
    # Threads in the window that were left out to keep the picture readable.
    more_rows: int


def thread_timeline_data(
    *, around: DreamReview | None = None, dreams: int = TIMELINE_DREAMS, rows: int = TIMELINE_ROWS
) -> ThreadTimelineData:
    """The latest `dreams` reviews and the threads they name, from each review's snapshot
    of its threads; a thread's status now from its ContinuityThread. `around` a review:
    the window ends a few dreams after it, and only its own threads are rows."""
    reviews = DreamReview.objects.order_by("-sequence").values("sequence", "title", "threads")
    if around is not None:
        reviews = reviews.filter(sequence__lte=around.sequence + LATER_DREAMS)
    window = list(reviews[:dreams])
    window.reverse()

    names: dict[str, str] = {}
    seen: dict[str, dict[int, str]] = {}
    for review in window:
        for entry in review["threads"] or []:
            if not isinstance(entry, dict) or not entry.get("name"):
                continue
            key = ContinuityThread.key_for(str(entry["name"]))
            names.setdefault(key, str(entry["name"]))
            seen.setdefault(key, {}).setdefault(review["sequence"], str(entry.get("status", "")))
    if around is not None:
        wanted = {
            ContinuityThread.key_for(str(e.get("name", "")))
            for e in around.threads
            if isinstance(e, dict)
        }
        seen = {key: dreams_seen for key, dreams_seen in seen.items() if key in wanted}

    # The most recently seen threads, then drawn in the order they first appeared.
    recent = sorted(seen, key=lambda key: max(seen[key]), reverse=True)
    kept = sorted(recent[:rows], key=lambda key: (min(seen[key]), names[key].lower()))
    current = {
        thread.key: thread
        for thread in ContinuityThread.objects.filter(key__in=kept).only(
            "key", "name", "status", "times_seen"
        )
    }
    thread_rows = []
    for key in kept:
        thread = current.get(key)
        appearances = tuple(Appearance(seq, status) for seq, status in sorted(seen[key].items()))
        thread_rows.append(
            ThreadRow(
                name=thread.name if thread else names[key],
                status=thread.status if thread else appearances[-1].status,
                times_seen=thread.times_seen if thread else len(appearances),
                appearances=appearances,
            )
        )
    columns = [DreamColumn(review["sequence"], review["title"]) for review in window]
    return ThreadTimelineData(thread_rows, columns, max(0, len(recent) - len(kept)))
