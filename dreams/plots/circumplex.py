"""Moments on the circumplex: valence across (unpleasant to pleasant), arousal up (calm to
excited), each moment a dot in its colour, linking to its page. The small variant shows one
reading, as the moment page does."""

import math
from collections.abc import Sequence
from dataclasses import dataclass

from dreams.plots.svg import (
    NEUTRAL_BAND,
    Linear,
    Link,
    Plot,
    colour,
    element,
    nothing_drawn,
    reading_words,
    svg_root,
    tooltip,
)

SIZE = 240.0
# The square: from (X0, Y0) to (X1, Y1); room on the left and below for the axis words,
# and around it for the dots at its edges.
X0, X1, Y0, Y1 = 30.0, 230.0, 10.0, 210.0
# Room inside the square around the readings of +-1, so that a dot there (the small
# circumplex's is the largest) is drawn whole, inside the frame.
INNER = 12.0
# Up to this many dots are links a keyboard reaches; beyond it they are for the pointer
# only (the figure links to the history, where the same moments can be walked through).
FOCUSABLE_POINTS = 30
QUADRANTS = (
    # (valence sign, arousal sign, word)
    (-1, 1, "Tense"),
    (1, 1, "Elated"),
    (-1, -1, "Gloomy"),
    (1, -1, "Serene"),
)
NEUTRAL = "Neutral"

EMPTY_COPY = "No moments yet. Each one appears here as a dot once the mind has had it."


@dataclass(frozen=True)
class Reading:
    """One emotional reading; `label` names it in its tooltip, `href` is its page."""

    valence: float
    arousal: float
    colour: str
    label: str
    href: str | None = None


x = Linear((-1.0, 1.0), (X0 + INNER, X1 - INNER))
y = Linear((-1.0, 1.0), (Y1 - INNER, Y0 + INNER))


def circumplex_plot(
    readings: Sequence[Reading],
    *,
    covers: str,
    empty: str = EMPTY_COPY,
    more: Link | None = None,
) -> Plot:
    """The moments `covers` names ("the last 300 moments"), oldest drawn first so the newest
    is on top. `more` is where to read them one by one (the history)."""
    label = f"The circumplex: {covers} by valence and arousal"
    if not readings:
        return nothing_drawn(
            kind="circumplex", title="Moments on the circumplex", label=label, empty=empty
        )
    focusable = len(readings) <= FOCUSABLE_POINTS
    body = [_frame(small=False)]
    body += [_dot(reading, radius=4.0, focusable=focusable) for reading in readings]
    body.append(_quadrant_words(small=False))
    links_to_pages = any(reading.href for reading in readings)
    return Plot(
        kind="circumplex",
        title="Moments on the circumplex",
        label=label,
        svg=svg_root(
            "".join(body),
            width=SIZE,
            height=SIZE,
            label=label,
            class_="plot-svg",
            # Links a keyboard reaches are announced as links, inside a named group.
            role="group" if focusable and links_to_pages else "img",
        ),
        count=len(readings),
        summary=_summary(readings, covers),
        empty=empty,
        links=(more,) if more else (),
    )


def circumplex_reading(reading: Reading) -> Plot:
    """One reading on a small circumplex, with guides from the axes to it."""
    words = reading_words(reading.valence, reading.arousal)
    label = f"Emotional reading on the circumplex: {words}"
    cx, cy = x(reading.valence), y(reading.arousal)
    guides = element("line", x1=cx, x2=cx, y1=Y1, y2=cy, class_="guide") + element(
        "line", x1=X0, x2=cx, y1=cy, y2=cy, class_="guide"
    )
    # The one dot is what the picture is for: drawn over the quadrant words.
    body = (
        _frame(small=True)
        + _quadrant_words(small=True)
        + guides
        + _dot(reading, radius=9.0, focusable=False)
    )
    return Plot(
        kind="circumplex",
        title="Emotional reading",
        label=label,
        svg=svg_root(body, width=SIZE, height=SIZE, label=label, class_="plot-svg"),
        count=1,
        summary=f"{words[0].upper()}{words[1:]}.",
        empty="",
        variant="small",
    )


def quadrant_word(valence: float, arousal: float) -> str:
    """The quadrant's word, or "Neutral" near the centre."""
    if math.hypot(valence, arousal) < NEUTRAL_BAND:
        return NEUTRAL
    for valence_sign, arousal_sign, word in QUADRANTS:
        if valence * valence_sign >= 0 and arousal * arousal_sign >= 0:
            return word
    return QUADRANTS[0][2]  # not reached: every reading is in some quadrant


def _frame(*, small: bool) -> str:
    middle_x, middle_y = x(0.0), y(0.0)
    parts = [
        element("rect", x=X0, y=Y0, width=X1 - X0, height=Y1 - Y0, class_="frame"),
        element("line", x1=middle_x, x2=middle_x, y1=Y0, y2=Y1, class_="axis"),
        element("line", x1=X0, x2=X1, y1=middle_y, y2=middle_y, class_="axis"),
    ]
    below = Y1 + 20
    parts += [
        element("text", "unpleasant", x=X0, y=below, text_anchor="start", class_="axis-word"),
        element("text", "pleasant", x=X1, y=below, text_anchor="end", class_="axis-word"),
    ]
    side = X0 - 12
    for word, at, anchor in (("calm", Y1, "start"), ("excited", Y0, "end")):
        parts.append(
            element(
                "text",
                word,
                x=side,
                y=at,
                text_anchor=anchor,
                transform=f"rotate(-90 {side:.0f} {at:.0f})",
                class_="axis-word",
            )
        )
    if not small:
        parts += [
            element(
                "text", "valence", x=middle_x, y=below, text_anchor="middle", class_="axis-name"
            ),
            element(
                "text",
                "arousal",
                x=side,
                y=middle_y,
                text_anchor="middle",
                transform=f"rotate(-90 {side:.0f} {middle_y:.0f})",
                class_="axis-name",
            ),
        ]
    return element("g", "".join(parts), class_="circumplex-frame" + (" small" if small else ""))


# The quadrant words' size (plots.css) and about how wide a letter of it is, in the SVG's units.
QUADRANT_FONT = {False: 11.0, True: 15.0}
LETTER_WIDTH = 0.62


def _quadrant_words(*, small: bool) -> str:
    """Each on a plate of the frame's colour: drawn over the many dots of the large
    circumplex, so a crowded quadrant keeps its name readable."""
    font = QUADRANT_FONT[small]
    inset, pad = 4.0, 3.0
    words = []
    for valence_sign, arousal_sign, word in QUADRANTS:
        width = len(word) * font * LETTER_WIDTH + 2 * pad
        height = font + 2 * pad
        left = X1 - inset - width if valence_sign > 0 else X0 + inset
        top = Y0 + inset if arousal_sign > 0 else Y1 - inset - height
        plate = element(
            "rect", x=left, y=top, width=width, height=height, rx=3.0, class_="quadrant-plate"
        )
        text = element(
            "text",
            word,
            x=left + width / 2,
            y=top + pad + font * 0.8,
            text_anchor="middle",
            class_="quadrant",
        )
        words.append(plate + text)
    return element("g", "".join(words), class_="quadrants" + (" small" if small else ""))


def _dot(reading: Reading, *, radius: float, focusable: bool) -> str:
    words = reading_words(reading.valence, reading.arousal)
    content = tooltip(f"{reading.label}: {words}") + element(
        "circle",
        cx=x(reading.valence),
        cy=y(reading.arousal),
        r=radius,
        fill=colour(reading.colour),
        class_="dot",
    )
    if reading.href:
        return element(
            "a", content, href=reading.href, tabindex=None if focusable else "-1", class_="mark"
        )
    return element("g", content, class_="mark")


def _summary(readings: Sequence[Reading], covers: str) -> str:
    counts = {word: 0 for word in (*(word for _, _, word in QUADRANTS), NEUTRAL)}
    for reading in readings:
        counts[quadrant_word(reading.valence, reading.arousal)] += 1
    ranked = sorted(counts.items(), key=lambda item: -item[1])
    head = f"{covers[0].upper()}{covers[1:]}"
    if len(readings) == 1:
        return f"{head}: {ranked[0][0].lower()}."
    shares = ", ".join(f"{count} {word.lower()}" for word, count in ranked if count)
    said = f"{head}: {shares}."
    most_word, most = ranked[0]
    if most * 2 > len(readings):
        said += f" Mostly {most_word.lower()}."
    return said
