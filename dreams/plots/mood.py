"""The mood over time: each moment's valence and arousal as two lines over time, with the
dreams written meanwhile as vertical marks. Many moments are drawn as small points on faint
lines, with a moving average over them that the eye can follow."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from dreams.plots.svg import (
    MINUS,
    Linear,
    Link,
    Plot,
    element,
    esc,
    isolate,
    nothing_drawn,
    num,
    plural,
    reading_words,
    signed,
    svg_root,
    tooltip,
    truncate,
    when,
)

WIDTH, HEIGHT = 320.0, 230.0
LEFT, RIGHT, TOP, BOTTOM = 26.0, 8.0, 34.0, 24.0
LEGEND_Y = 13.0
# Points are drawn larger when there are few of them; beyond that, their lines are faint and
# a moving average of about a tenth of them (at least 5) is drawn over them.
FEW_POINTS = 40
AVERAGE_SHARE = 10
AVERAGE_MIN = 5
# Room a dream's number needs beside the previous one.
LABEL_ROOM = 12.0
DREAM_LINKS_SHOWN = 5

EMPTY_COPY = "No moments yet. The mood is drawn here once the mind has had a few thoughts."


@dataclass(frozen=True)
class MoodPoint:
    """One moment's reading. `label` names it in its tooltip ("Cycle 12 · a quiet harbour")."""

    at: datetime
    valence: float
    arousal: float
    label: str


@dataclass(frozen=True)
class DreamMark:
    at: datetime
    sequence: int
    title: str
    href: str | None = None


def mood_plot(
    points: Sequence[MoodPoint],
    *,
    dreams: Sequence[DreamMark] = (),
    covers: str,
    empty: str = EMPTY_COPY,
) -> Plot:
    """`covers` says which moments these are ("the last 300 moments")."""
    ordered = sorted(points, key=lambda point: point.at)
    if not ordered:
        return nothing_drawn(
            kind="mood",
            title="Mood over time",
            label=f"Mood over {covers}: no moments yet",
            empty=empty,
        )
    start, end = ordered[0].at, ordered[-1].at
    marked = sorted((d for d in dreams if start <= d.at <= end), key=lambda d: d.sequence)
    x = Linear((start.timestamp(), end.timestamp()), (LEFT, WIDTH - RIGHT))
    y = Linear((-1.0, 1.0), (HEIGHT - BOTTOM, TOP))

    dense = len(ordered) > FEW_POINTS
    window = average_window(len(ordered)) if dense else 0

    body = [_grid(y), _legend(window)]
    labelled_at = -LABEL_ROOM
    for dream in marked:
        at = x(dream.at.timestamp())
        # A number too close to the last one drawn would overprint it: the tooltip names it.
        labelled = at - labelled_at >= LABEL_ROOM
        body.append(_dream_mark(dream, at, labelled=labelled))
        labelled_at = at if labelled else labelled_at
    xs = [x(p.at.timestamp()) for p in ordered]
    for name in ("valence", "arousal"):
        values = [getattr(p, name) for p in ordered]
        if len(ordered) > 1:
            body.append(
                element(
                    "polyline",
                    points=_coordinates(xs, values, y),
                    fill="none",
                    class_=f"line line-{name}" + (" line-faint" if dense else ""),
                )
            )
    radius = 1.4 if dense else 3.0
    body += [_mark(point, at, y, radius) for point, at in zip(ordered, xs, strict=True)]
    # The averages over the points: the trend stays readable through hundreds of them.
    for name in ("valence", "arousal") if dense else ():
        averaged = moving_average([getattr(p, name) for p in ordered], window)
        body.append(
            element(
                "polyline",
                points=_coordinates(xs, averaged, y),
                fill="none",
                class_=f"trend trend-{name}",
            )
        )
    body.append(_time_axis(start, end))

    dreams_said = f", with {plural(len(marked), 'dream')} marked" if marked else ""
    label = f"Mood over {covers}: valence and arousal{dreams_said}"
    return Plot(
        kind="mood",
        title="Mood over time",
        label=label,
        svg=svg_root("".join(body), width=WIDTH, height=HEIGHT, label=label, class_="plot-svg"),
        count=len(ordered),
        summary=_summary(ordered, marked, covers, window),
        empty=empty,
        links=tuple(
            Link(f"Dream {d.sequence}: {truncate(d.title, 60)}", d.href)
            for d in marked[-DREAM_LINKS_SHOWN:]
            if d.href
        ),
        links_label="Dreams in this time:" if marked else "",
    )


def average_window(count: int) -> int:
    """How many moments each point of the moving average spans: odd, so it is centred."""
    window = max(AVERAGE_MIN, round(count / AVERAGE_SHARE))
    return window if window % 2 else window + 1


def moving_average(values: Sequence[float], window: int) -> list[float]:
    """The centred mean of `window` values around each one (fewer at the ends)."""
    half = window // 2
    sums = [0.0]
    for value in values:
        sums.append(sums[-1] + value)
    averaged = []
    for index in range(len(values)):
        low, high = max(0, index - half), min(len(values), index + half + 1)
        averaged.append((sums[high] - sums[low]) / (high - low))
    return averaged


def _coordinates(xs: Sequence[float], values: Sequence[float], y: Linear) -> str:
    return " ".join(f"{num(at)},{num(y(value))}" for at, value in zip(xs, values, strict=True))


def _grid(y: Linear) -> str:
    lines = []
    for value, text in ((1.0, "+1"), (0.0, "0"), (-1.0, f"{MINUS}1")):
        at = y(value)
        lines.append(
            element(
                "line",
                x1=LEFT,
                x2=WIDTH - RIGHT,
                y1=at,
                y2=at,
                class_="grid zero" if value == 0 else "grid",
            )
            + element("text", esc(text), x=LEFT - 4, y=at + 3, text_anchor="end", class_="tick")
        )
    return "".join(lines)


def _legend(window: int) -> str:
    parts = []
    if window:
        parts.append(
            element(
                "text",
                f"lines: average of {window}",
                x=WIDTH - RIGHT,
                y=LEGEND_Y,
                text_anchor="end",
                class_="legend legend-note",
            )
        )
    left = LEFT
    for name in ("valence", "arousal"):
        parts.append(
            element(
                "line",
                x1=left,
                x2=left + 14,
                y1=LEGEND_Y - 3,
                y2=LEGEND_Y - 3,
                class_=f"line-{name}",
            )
            + element("text", name, x=left + 18, y=LEGEND_Y, class_="legend")
        )
        left += 86
    return element("g", "".join(parts), class_="legend-key")


def _dream_mark(dream: DreamMark, at: float, *, labelled: bool) -> str:
    content = tooltip(
        f"Dream {dream.sequence}: {isolate(dream.title)} ({when(dream.at)})"
    ) + element("line", x1=at, x2=at, y1=TOP - 2, y2=HEIGHT - BOTTOM, class_="dream-line")
    if labelled:
        content += element("text", str(dream.sequence), x=at, y=TOP - 5, text_anchor="middle")
    return element("g", content, class_="dream-mark")


def _mark(point: MoodPoint, at: float, y: Linear, radius: float) -> str:
    reading = f"valence {signed(point.valence)}, arousal {signed(point.arousal)}"
    content = (
        tooltip(f"{point.label} ({when(point.at)}): {reading}")
        + element("circle", cx=at, cy=y(point.valence), r=radius, class_="valence")
        + element("circle", cx=at, cy=y(point.arousal), r=radius, class_="arousal")
    )
    return element("g", content, class_="mark")


def _time_axis(start: datetime, end: datetime) -> str:
    baseline = HEIGHT - 6
    if start == end:
        return element(
            "text", esc(when(start)), x=WIDTH / 2, y=baseline, text_anchor="middle", class_="tick"
        )
    return element(
        "text", esc(when(start)), x=LEFT, y=baseline, text_anchor="start", class_="tick"
    ) + element(
        "text", esc(when(end)), x=WIDTH - RIGHT, y=baseline, text_anchor="end", class_="tick"
    )


def _summary(points: list[MoodPoint], dreams: list[DreamMark], covers: str, window: int) -> str:
    count = len(points)
    valence = sum(p.valence for p in points) / count
    arousal = sum(p.arousal for p in points) / count
    span = (
        f"at {when(points[0].at)}"
        if points[0].at == points[-1].at
        else f"from {when(points[0].at)} to {when(points[-1].at)}"
    )
    average = "Its reading" if count == 1 else "On average"
    said = f"{covers[0].upper()}{covers[1:]}, {span}. {average}: {reading_words(valence, arousal)}."
    if window:
        said += f" The bold lines are the average of each {window} moments in a row."
    if dreams:
        said += f" {plural(len(dreams), 'dream')} in this time, drawn as numbered vertical lines."
    return said
