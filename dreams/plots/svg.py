"""What every plot shares: a linear scale, numbers and text as SVG wants them, the words for
an emotional reading, and the plot a builder returns.

Pure: no Django, no database. Every text that reaches the markup goes through `esc`.
"""

import html
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
FALLBACK_COLOUR = "#ffffff"
# Readings this close to the centre are neither one thing nor the other.
NEUTRAL_BAND = 0.1
MILD_BAND = 0.4
# Negative numbers are shown with the typographic minus sign.
MINUS = "\u2212"


def esc(text: object) -> str:
    """Text safe inside an element or a double-quoted attribute."""
    return html.escape(str(text), quote=True)


def num(value: float) -> str:
    """A coordinate: two decimals at most, no trailing zeros, never "-0"."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def colour(value: str) -> str:
    """A #rrggbb colour, or white for anything else (it lands in an attribute)."""
    return value.lower() if _COLOUR.match(value or "") else FALLBACK_COLOUR


def text_direction(text: str) -> str:
    """`rtl` when the first strong character is right-to-left, as `dir="auto"` decides."""
    for character in text:
        kind = unicodedata.bidirectional(character)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"


def isolate(text: str) -> str:
    """Text of its own direction inside plain text (a tooltip): what `<bdi>` is in HTML,
    with Unicode's first-strong isolate."""
    return f"\u2068{text}\u2069"


def truncate(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def when(at: datetime) -> str:
    """A time as a label: "3 May 14:02" (no platform-specific strftime flags)."""
    return f"{at.day} {at:%b %H:%M}"


def signed(value: float) -> str:
    """A reading as people read it: "+0.40", "-0.20", "0.00"."""
    text = f"{value:+.2f}"
    return "0.00" if text in ("+0.00", "-0.00") else text.replace("-", MINUS)


def _degree(value: float, low: str, high: str) -> str:
    if abs(value) < NEUTRAL_BAND:
        return ""
    word = high if value > 0 else low
    return f"mildly {word}" if abs(value) < MILD_BAND else word


def reading_degrees(valence: float, arousal: float) -> tuple[str, str]:
    """How far a reading leans on each axis: ("pleasant", "mildly calm"); "" for an axis
    near its centre."""
    return _degree(valence, "unpleasant", "pleasant"), _degree(arousal, "calm", "excited")


def reading_words(valence: float, arousal: float) -> str:
    """ "valence +0.60 (pleasant), arousal -0.20 (mildly calm)", with a minus sign."""
    valence_word, arousal_word = reading_degrees(valence, arousal)
    return (
        f"valence {signed(valence)} ({valence_word or 'neutral'}), "
        f"arousal {signed(arousal)} ({arousal_word or 'neutral'})"
    )


@dataclass(frozen=True)
class Linear:
    """Maps `domain` onto `range`, clamped; a domain of one value maps to the middle."""

    domain: tuple[float, float]
    range: tuple[float, float]

    def __call__(self, value: float) -> float:
        (d0, d1), (r0, r1) = self.domain, self.range
        if d1 == d0:
            return (r0 + r1) / 2
        share = min(1.0, max(0.0, (value - d0) / (d1 - d0)))
        return r0 + share * (r1 - r0)


def element(name: str, content: str = "", **attributes: object) -> str:
    """One element; attribute names use `_` for `-` (`text_anchor` -> `text-anchor`), a
    trailing `_` is dropped (`class_`), and None leaves the attribute out. `content` is
    markup: escape text with `esc` before passing it."""
    parts = [name]
    for key, value in attributes.items():
        if value is None:
            continue
        attribute = key.rstrip("_").replace("_", "-")
        # Numbers need no escaping: hundreds of marks stay cheap.
        if isinstance(value, float):
            shown = num(value)
        elif isinstance(value, int):
            shown = str(value)
        else:
            shown = esc(value)
        parts.append(f'{attribute}="{shown}"')
    opening = " ".join(parts)
    return f"<{opening}>{content}</{name}>" if content else f"<{opening}/>"


def tooltip(text: str) -> str:
    """A `<title>` child: the browser shows it on hover."""
    return f"<title>{esc(text)}</title>"


def svg_root(
    body: str, *, width: float, height: float, label: str, class_: str, role: str = "img"
) -> str:
    """The `<svg>`: drawn in a `width` x `height` box, scaled to the width it is given."""
    return element(
        "svg",
        body,
        xmlns="http://www.w3.org/2000/svg",
        viewBox=f"0 0 {num(width)} {num(height)}",
        width="100%",
        preserveAspectRatio="xMidYMid meet",
        role=role,
        aria_label=label,
        class_=class_,
    )


@dataclass(frozen=True)
class Link:
    label: str
    href: str


@dataclass(frozen=True)
class Plot:
    """A drawn plot: its markup (escaped throughout; empty when there is nothing to draw),
    how many marks it holds (one per data point given), its accessible name, a sentence for
    people, and what to say instead when it is empty."""

    kind: str
    title: str
    label: str
    svg: str
    count: int
    summary: str
    empty: str
    links: tuple[Link, ...] = ()
    # Said before the links ("Dreams in this time:").
    links_label: str = ""
    variant: str = ""


def nothing_drawn(*, kind: str, title: str, label: str, empty: str) -> Plot:
    """A plot with nothing to draw: the page says `empty` in its place."""
    return Plot(kind=kind, title=title, label=label, svg="", count=0, summary="", empty=empty)


def plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"
