"""The circumplex: valence (unpleasant..pleasant) and arousal (calm..excited), both in [-1, 1]."""

import colorsys
import math

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
    red, green, blue = colorsys.hls_to_rgb(hue, lightness, 0.15 + 0.7 * intensity)
    return "#{:02x}{:02x}{:02x}".format(*(round(channel * 255) for channel in (red, green, blue)))
