"""The continuity-thread timeline: one row per thread, one column per dream, a mark where a
dream touched the thread (styled by what it was then: new, recurring, resurfaced), and the
thread's status now as a word."""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from dreams.plots.svg import (
    Linear,
    Plot,
    element,
    esc,
    isolate,
    nothing_drawn,
    plural,
    svg_root,
    text_direction,
    tooltip,
    truncate,
)

WIDTH = 320.0
LEFT, RIGHT = 12.0, 308.0
TOP, ROW, AXIS = 8.0, 36.0, 40.0
HEAD_HEIGHT = 18.0
STATUSES = ("new", "recurring", "resurfaced", "faded")

EMPTY_COPY = (
    "No continuity threads yet. When dreams return to a concern, it is drawn here "
    "from dream to dream."
)


@dataclass(frozen=True)
class DreamColumn:
    sequence: int
    title: str


@dataclass(frozen=True)
class Appearance:
    """A dream that touched the thread, and what the thread was in it."""

    sequence: int
    status: str


@dataclass(frozen=True)
class ThreadRow:
    name: str
    status: str
    times_seen: int
    appearances: tuple[Appearance, ...]


def status_word(status: str) -> str:
    return status if status in STATUSES else "seen"


def thread_timeline(
    rows: Sequence[ThreadRow],
    *,
    dreams: Sequence[DreamColumn],
    covers: str,
    highlight: int | None = None,
    more_rows: int = 0,
    empty: str = EMPTY_COPY,
) -> Plot:
    """`dreams` are the columns, oldest first; an appearance in a dream not among them is
    not drawn. `highlight` is the dream a page is about; `more_rows` counts threads left
    out."""
    columns = sorted(dreams, key=lambda dream: dream.sequence)
    index = {dream.sequence: position for position, dream in enumerate(columns)}
    drawn = [row for row in rows if any(a.sequence in index for a in row.appearances)]
    label = f"Continuity threads across {covers}"
    if not drawn:
        return nothing_drawn(kind="threads", title="Continuity threads", label=label, empty=empty)
    x = Linear((0.0, float(max(len(columns) - 1, 0))), (LEFT, RIGHT))
    height = TOP + ROW * len(drawn) + AXIS
    titles = {dream.sequence: dream.title for dream in columns}
    body = []
    if highlight in index:
        at = x(index[highlight])
        body.append(
            element(
                "rect",
                tooltip(f"Dream {highlight}, this dream"),
                x=at - 7,
                y=TOP - 4,
                width=14.0,
                height=ROW * len(drawn) + 4,
                class_="highlight",
            )
        )
    marks = 0
    for position, row in enumerate(drawn):
        markup, count = _row(row, TOP + ROW * position, x, index, titles)
        body.append(markup)
        marks += count
    body.append(_axis(columns, height))
    return Plot(
        kind="threads",
        title="Continuity threads",
        label=label,
        svg=svg_root("".join(body), width=WIDTH, height=height, label=label, class_="plot-svg"),
        count=marks,
        summary=_summary(drawn, covers, more_rows),
        empty=empty,
    )


def _row(
    row: ThreadRow, top: float, x: Linear, index: dict[int, int], titles: dict[int, str]
) -> tuple[str, int]:
    status = status_word(row.status)
    track = top + 26
    name = isolate(row.name)
    parts = [
        tooltip(f"{name}: {status}, seen in {plural(row.times_seen, 'dream')}"),
        _head(row.name, status, top),
        element("line", x1=LEFT, x2=RIGHT, y1=track, y2=track, class_="track"),
    ]
    seen = sorted(index[a.sequence] for a in row.appearances if a.sequence in index)
    if len(seen) > 1:
        parts.append(
            element("line", x1=x(seen[0]), x2=x(seen[-1]), y1=track, y2=track, class_="span")
        )
    for position in index.values():
        if position not in seen:
            parts.append(element("circle", cx=x(position), cy=track, r=1.5, class_="gap"))
    marks = 0
    for appearance in row.appearances:
        if appearance.sequence not in index:
            continue
        then = status_word(appearance.status)
        dream = isolate(truncate(titles[appearance.sequence], 60))
        parts.append(
            element(
                "circle",
                tooltip(f"{name}, {then} in dream {appearance.sequence}: {dream}"),
                cx=x(index[appearance.sequence]),
                cy=track,
                r=4.5,
                class_=f"mark appearance appearance-{then}",
            )
        )
        marks += 1
    return element("g", "".join(parts), class_=f"timeline-row timeline-{status}"), marks


def _head(name: str, status: str, top: float) -> str:
    """The thread's name and its status word, in HTML inside the drawing: the name decides
    its own direction (dir="auto") and is cut with an ellipsis where the row ends; the
    status word takes the other side."""
    head = element(
        "div",
        element("span", esc(name), dir="auto", class_="timeline-name")
        + element("span", status, class_=f"status status-{status}"),
        xmlns="http://www.w3.org/1999/xhtml",
        dir=text_direction(name),
        class_="timeline-head",
    )
    return element(
        "foreignObject", head, x=LEFT - 4, y=top, width=RIGHT - LEFT + 8, height=HEAD_HEIGHT
    )


def _axis(columns: list[DreamColumn], height: float) -> str:
    labels_at = height - 24
    first, last = columns[0], columns[-1]
    if first is last:
        labels = element(
            "text",
            f"Dream {first.sequence}",
            x=WIDTH / 2,
            y=labels_at,
            text_anchor="middle",
            class_="tick",
        )
    else:
        labels = element(
            "text",
            f"Dream {first.sequence}",
            x=LEFT,
            y=labels_at,
            text_anchor="start",
            class_="tick",
        ) + element(
            "text", f"Dream {last.sequence}", x=RIGHT, y=labels_at, text_anchor="end", class_="tick"
        )
    return labels + _key(height - 6)


def _key(baseline: float) -> str:
    """What the marks mean: the thread as each dream found it."""
    parts, left = [], LEFT
    for status in STATUSES[:3]:
        parts.append(
            element(
                "circle",
                cx=left + 4,
                cy=baseline - 4,
                r=4.0,
                class_=f"appearance appearance-{status}",
            )
            + element("text", status, x=left + 12, y=baseline, class_="legend")
        )
        left += 26 + 6.5 * len(status)
    return element("g", "".join(parts), class_="legend-key")


def _standing(rows: list[ThreadRow]) -> str:
    """Where the threads stand now, as a sentence: "All 5 are new.", "It is recurring.",
    "3 are new, 1 recurring and 1 faded." """
    counts = Counter(status_word(row.status) for row in rows)
    shares = [(counts[status], status) for status in (*STATUSES, "seen") if counts[status]]
    if len(shares) == 1:
        count, status = shares[0]
        if count == 1:
            return f"It is {status}."
        return f"{'Both' if count == 2 else f'All {count}'} are {status}."
    (first, first_status), rest = shares[0], shares[1:]
    words = [f"{first} {'is' if first == 1 else 'are'} {first_status}"]
    words += [f"{count} {status}" for count, status in rest]
    return f"{', '.join(words[:-1])} and {words[-1]}."


def _summary(rows: list[ThreadRow], covers: str, more_rows: int) -> str:
    said = f"{plural(len(rows), 'thread')} across {covers}. {_standing(rows)}"
    if more_rows:
        said += f" {plural(more_rows, 'older thread')} not drawn."
    return said
