"""Reads for the dream pages: the reviews a page of the list shows, and one dream with the
moments its themes cite, the history of its continuity threads and the run that wrote it.

Every query is bounded and indexed: the list pages by `sequence` (keyset, no OFFSET), a
dream's cited moments come in one query by primary key, the earlier dreams a thread
appeared in are looked for among a bounded window of the dreams before it.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import QuerySet
from django.db.models.functions import Substr
from django.utils.dateparse import parse_datetime

from dreams.models import ContinuityThread, DreamReview, DreamRun, MindMoment, ThreadStatus

DREAMS_PER_PAGE = 20
# How much of a narrative the list shows (the page cuts it at a word).
EXCERPT_CHARS = 320
# How many of a theme's cited moments show before "and N more" (the rest behind it).
CITED_SHOWN = 8
# How many of a thread's earlier dreams are linked (the most recent), and how many dreams
# before this one are searched for them at most.
EARLIER_SHOWN = 8
EARLIER_DREAMS_WINDOW = 200
EARLIER_DREAMS_BATCH = 50

STATUS_WORDS: dict[str, str] = dict(ThreadStatus.choices)


@dataclass(frozen=True)
class DreamListItem:
    review: DreamReview
    excerpt: str
    theme_count: int
    moment_count: int


@dataclass(frozen=True)
class DreamListPage:
    items: list[DreamListItem]
    # Cursors for the neighbouring pages: `?after=` for newer dreams, `?before=` for older.
    newer_after: int | None
    older_before: int | None


def _list_queryset() -> QuerySet[DreamReview]:
    return DreamReview.objects.only(
        "id", "sequence", "title", "themes", "moment_id", "created_at"
    ).annotate(narrative_start=Substr("narrative", 1, EXCERPT_CHARS + 1))


def _excerpt(text: str) -> str:
    """The narrative's opening, on one line, cut at a word when it goes on (`text` is its
    first EXCERPT_CHARS + 1 characters)."""
    start = " ".join(text[:EXCERPT_CHARS].split())
    if len(text) <= EXCERPT_CHARS:
        return start
    cut = start.rsplit(" ", 1)[0] if " " in start else start
    return f"{cut.rstrip(',;:')}…"


def _list_item(review: DreamReview) -> DreamListItem:
    themes = [theme for theme in review.themes if isinstance(theme, dict)]
    cited = {
        moment_id
        for theme in themes
        for moment_id in theme.get("moment_ids", [])
        if isinstance(moment_id, int)
    }
    return DreamListItem(
        review=review,
        excerpt=_excerpt(review.narrative_start),  # type: ignore[attr-defined]
        theme_count=len(themes),
        moment_count=len(cited),
    )


def dream_list_page(
    *, before: int | None = None, after: int | None = None, size: int = DREAMS_PER_PAGE
) -> DreamListPage:
    """One page of dream reviews, newest first. `before` (a sequence) starts the page
    after it, `after` ends the page just before it; neither gives the newest page."""
    reviews = _list_queryset()
    if after is not None:
        found = list(reviews.filter(sequence__gt=after).order_by("sequence")[: size + 1])
        has_newer = len(found) > size
        page = found[:size][::-1]
        has_older = bool(page) and (
            DreamReview.objects.filter(sequence__lt=page[-1].sequence).exists()
        )
    else:
        if before is not None:
            reviews = reviews.filter(sequence__lt=before)
        found = list(reviews.order_by("-sequence")[: size + 1])
        has_older = len(found) > size
        page = found[:size]
        newest_shown = page[0].sequence if page else None
        has_newer = (
            before is not None
            and newest_shown is not None
            and DreamReview.objects.filter(sequence__gt=newest_shown).exists()
        )
    return DreamListPage(
        items=[_list_item(review) for review in page],
        newer_after=page[0].sequence if has_newer else None,
        older_before=page[-1].sequence if has_older else None,
    )


def dreams_exist() -> bool:
    return DreamReview.objects.exists()


@dataclass(frozen=True)
class CitedMoment:
    """A moment a theme cites; `moment` is None when it is no longer kept."""

    id: int
    moment: MindMoment | None


@dataclass(frozen=True)
class ThemeView:
    name: str
    summary: str
    shown: list[CitedMoment]
    rest: list[CitedMoment]

    @property
    def cited(self) -> list[CitedMoment]:
        return self.shown + self.rest

    @property
    def count(self) -> int:
        return len(self.shown) + len(self.rest)


@dataclass(frozen=True)
class DreamLink:
    id: int
    sequence: int
    title: str


@dataclass(frozen=True)
class ThreadView:
    """A continuity thread as this dream left it, with its history across dreams."""

    name: str
    note: str
    status: str  # as of this dream
    times_seen: int  # as of this dream, this one included
    first_seen_at: datetime | None
    current: ContinuityThread | None  # as it stands now (None: no longer kept)
    earlier: list[DreamLink] = field(default_factory=list)  # newest first
    # Earlier appearances not linked: before the last few, beyond the window searched, or in
    # dreams no longer kept.
    earlier_unlisted: int = 0
    last_seen_in: DreamLink | None = None  # a later dream that touched it, if any

    @property
    def status_word(self) -> str:
        return STATUS_WORDS.get(self.status, self.status)

    @property
    def status_changed(self) -> bool:
        return self.current is not None and self.current.status != self.status

    @property
    def current_status_word(self) -> str:
        return STATUS_WORDS.get(self.current.status, "") if self.current else ""


@dataclass(frozen=True)
class DreamPage:
    review: DreamReview
    themes: list[ThemeView]
    threads: list[ThreadView]
    run: DreamRun | None
    previous: DreamLink | None  # the dream before (older)
    next: DreamLink | None  # the dream after (newer)


def _cited_moments(ids: set[int]) -> dict[int, MindMoment]:
    """The cited moments that still exist, with just what the page shows, in one query."""
    if not ids:
        return {}
    moments = (
        MindMoment.objects.filter(pk__in=ids)
        .only("id", "kind", "sigil_phrase", "has_sigil", "valence", "arousal", "colour")
        .annotate(text_start=Substr("text", 1, 120))
    )
    return {moment.pk: moment for moment in moments}


def _themes(review: DreamReview) -> list[ThemeView]:
    raw = [theme for theme in review.themes if isinstance(theme, dict)]
    ids_by_theme = [
        [moment_id for moment_id in theme.get("moment_ids", []) if isinstance(moment_id, int)]
        for theme in raw
    ]
    found = _cited_moments({moment_id for ids in ids_by_theme for moment_id in ids})
    themes = []
    for theme, ids in zip(raw, ids_by_theme, strict=True):
        cited = [CitedMoment(moment_id, found.get(moment_id)) for moment_id in ids]
        themes.append(
            ThemeView(
                name=str(theme.get("name", "")),
                summary=str(theme.get("summary", "")),
                shown=cited[:CITED_SHOWN],
                rest=cited[CITED_SHOWN:],
            )
        )
    return themes


def _times_seen(thread: dict) -> int:
    """How many dreams a thread had been in, this one included, as the dream recorded it."""
    times_seen = thread.get("times_seen")
    return times_seen if isinstance(times_seen, int) and times_seen > 0 else 1


def _threads(review: DreamReview) -> list[ThreadView]:
    raw = [thread for thread in review.threads if isinstance(thread, dict) and thread.get("name")]
    if not raw:
        return []
    keys = [ContinuityThread.key_for(str(thread["name"])) for thread in raw]
    current = {thread.key: thread for thread in ContinuityThread.objects.filter(key__in=keys)}

    # Earlier appearances: the threads JSON of the dreams before this one, newest first, in
    # batches, until each thread's last few appearances are found (its count as of this
    # dream says how many there are) or a bounded window is searched.
    times_seen = {key: _times_seen(thread) for thread, key in zip(raw, keys, strict=True)}
    wanted = {key: min(times_seen[key] - 1, EARLIER_SHOWN) for key in keys}
    appearances: dict[str, list[DreamLink]] = {key: [] for key in keys}
    earlier_dreams = DreamReview.objects.values_list("id", "sequence", "title", "threads")
    first_seen = [thread.first_seen_at for thread in current.values()]
    if len(first_seen) == len(set(keys)):
        earlier_dreams = earlier_dreams.filter(created_at__gte=min(first_seen))
    below, searched = review.sequence, 0
    while searched < EARLIER_DREAMS_WINDOW and any(
        len(appearances[key]) < wanted[key] for key in keys
    ):
        below_page = earlier_dreams.filter(sequence__lt=below).order_by("-sequence")
        batch = list(below_page[:EARLIER_DREAMS_BATCH])
        for dream_id, sequence, title, threads in batch:
            touched = {
                ContinuityThread.key_for(str(thread["name"]))
                for thread in (threads if isinstance(threads, list) else [])
                if isinstance(thread, dict) and thread.get("name")
            }
            for key in touched & appearances.keys():
                if len(appearances[key]) < wanted[key]:
                    appearances[key].append(DreamLink(dream_id, sequence, title))
        if len(batch) < EARLIER_DREAMS_BATCH:
            break
        below, searched = batch[-1][1], searched + len(batch)

    later_sequences = {
        thread.last_seen_sequence
        for thread in current.values()
        if thread.last_seen_sequence > review.sequence
    }
    later = {
        dream.sequence: DreamLink(dream.pk, dream.sequence, dream.title)
        for dream in DreamReview.objects.filter(sequence__in=later_sequences).only(
            "id", "sequence", "title"
        )
    }

    views = []
    for thread, key in zip(raw, keys, strict=True):
        first_seen_at = thread.get("first_seen_at")
        now = current.get(key)
        earlier = appearances[key]
        views.append(
            ThreadView(
                name=str(thread["name"]),
                note=str(thread.get("note") or ""),
                status=str(thread.get("status") or ""),
                times_seen=times_seen[key],
                first_seen_at=parse_datetime(first_seen_at)
                if isinstance(first_seen_at, str)
                else None,
                current=now,
                earlier=earlier,
                earlier_unlisted=max(0, times_seen[key] - 1 - len(earlier)),
                last_seen_in=later.get(now.last_seen_sequence) if now else None,
            )
        )
    return views


def _neighbour(review: DreamReview, *, older: bool) -> DreamLink | None:
    dreams = DreamReview.objects.only("id", "sequence", "title")
    if older:
        dream = dreams.filter(sequence__lt=review.sequence).order_by("-sequence").first()
    else:
        dream = dreams.filter(sequence__gt=review.sequence).order_by("sequence").first()
    return DreamLink(dream.pk, dream.sequence, dream.title) if dream else None


def dream_page(pk: int) -> DreamPage | None:
    """One dream review with everything its page shows; None when there is no such dream."""
    review = (
        DreamReview.objects.select_related("moment", "personality")
        .only(
            "id",
            "sequence",
            "title",
            "narrative",
            "themes",
            "threads",
            "engine",
            "model",
            "material_count",
            "created_at",
            "moment__id",
            "moment__sigil_phrase",
            "moment__sigil_commands",
            "moment__has_sigil",
            "moment__valence",
            "moment__arousal",
            "moment__colour",
            "personality__id",
            "personality__version",
            "personality__name",
        )
        .filter(pk=pk)
        .first()
    )
    if review is None:
        return None
    run = (
        DreamRun.objects.filter(review_id=review.pk)
        .only(
            "id",
            "trigger",
            "status",
            "engine",
            "model",
            "material_count",
            "started_at",
            "finished_at",
            "duration_ms",
        )
        .first()
    )
    return DreamPage(
        review=review,
        themes=_themes(review),
        threads=_threads(review),
        run=run,
        previous=_neighbour(review, older=True),
        next=_neighbour(review, older=False),
    )
