"""Render a sigil as an anti-aliased PNG: white paint on a transparent background.

The image is grayscale + alpha (every pixel white, alpha = coverage): half the bytes of
RGBA to encode and serve, drawn the same by browsers.

Alpha is the pixel's coverage, estimated from the exact signed distance ``d`` (in
pixels, see ``sdf``) from the pixel centre to the painted shape: ``clip(0.5 - d, 0, 1)``,
the coverage of a pixel by a straight edge at distance ``d``. Only a one-pixel band
around the edges needs distances, so this is cheaper than the SDF.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dreams.sigils.geometry import build_geometry, check_size
from dreams.sigils.sdf import encode_png, signed_distance

__all__ = ["render_png"]

# Distances beyond half a pixel give alpha 0 or 1; a little more keeps it clear of the
# band edge.
_BAND = 1.0


def render_png(commands: Sequence[Sequence[object]], *, size: int = 512) -> bytes:
    """Anti-aliased white-on-transparent PNG, ``size`` px square (see module docstring)."""
    alpha = signed_distance(build_geometry(commands), check_size(size), _BAND)
    # 255 * clip(0.5 - d, 0, 1), rounded: the conversion below truncates, hence + 0.5.
    alpha *= np.float32(-255.0)
    alpha += np.float32(128.0)
    np.clip(alpha, 0, 255, out=alpha)
    pixels = np.empty((size, size, 2), dtype=np.uint8)
    pixels[..., 0] = 255
    pixels[..., 1] = alpha
    return encode_png(pixels, "LA")
