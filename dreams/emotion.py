"""The circumplex: valence (unpleasant..pleasant) and arousal (calm..excited), both in [-1, 1]."""

import colorsys
import math
from dataclasses import dataclass

# The one declaration of the circumplex's range: models, engine contracts, API filters and
# socket frames take their bounds from here.
CIRCUMPLEX_MIN = -1.0
CIRCUMPLEX_MAX = 1.0


def clamp_unit(value: float) -> float:
    return max(CIRCUMPLEX_MIN, min(CIRCUMPLEX_MAX, value))


def circumplex_colour(valence: float, arousal: float) -> str:
    """A colour for an emotional reading: hue from the circumplex angle, vividness from its
    intensity, brightness from arousal. Neutral readings are a soft grey."""
    valence, arousal = clamp_unit(valence), clamp_unit(arousal)
    intensity = min(1.0, math.hypot(valence, arousal))
    hue = (math.atan2(arousal, valence) / (2 * math.pi)) % 1.0
    lightness = 0.55 + 0.15 * arousal
    return _hex(hue, lightness, 0.15 + 0.7 * intensity)


@dataclass(frozen=True)
class ColourTriad:
    """Three colours of one reading, for displays: `primary` is the reading's own colour
    (`circumplex_colour`), `secondary` a deep shade of a neighbouring hue to lay a ground
    with, `accent` a pale tint of the other neighbour that stays readable on that ground.
    The names are the source system's (its moments carry `primary`, `secondary`, `accent`)."""

    primary: str
    secondary: str
    accent: str


# The neighbours' hue offsets, as a share of the colour wheel (30 degrees each way).
TRIAD_HUE_STEP = 1 / 12


def _hex(hue: float, lightness: float, saturation: float) -> str:
    red, green, blue = colorsys.hls_to_rgb(hue % 1.0, lightness, saturation)
    return "#{:02x}{:02x}{:02x}".format(*(round(channel * 255) for channel in (red, green, blue)))


def circumplex_triad(valence: float, arousal: float) -> ColourTriad:
    """The triad of a reading: hues around the circumplex angle, vividness from its
    intensity (a neutral reading is three greys), the ground darker and the accent brighter
    as arousal rises, so the accent always stands out from the ground."""
    valence, arousal = clamp_unit(valence), clamp_unit(arousal)
    intensity = min(1.0, math.hypot(valence, arousal))
    hue = (math.atan2(arousal, valence) / (2 * math.pi)) % 1.0
    return ColourTriad(
        primary=circumplex_colour(valence, arousal),
        secondary=_hex(hue + TRIAD_HUE_STEP, 0.16 + 0.04 * arousal, 0.1 + 0.55 * intensity),
        accent=_hex(hue - TRIAD_HUE_STEP, 0.84 + 0.06 * arousal, 0.15 + 0.75 * intensity),
    )
