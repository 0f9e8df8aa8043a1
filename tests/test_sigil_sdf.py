"""The signed distance field checked against distances computed here, independently of
the module's flattening: centrelines are sampled densely from their analytic equations
(or, for filled circles, the distance is known in closed form)."""

import io

import numpy as np
import pytest
from PIL import Image
from scipy.spatial import cKDTree

from dreams.sigils import LINE_WIDTH, SDF_SPREAD, parse_sigil, render_sdf, sdf_array

SAMPLE_SPACING_PX = 0.01


def segment(p0, p1):
    return lambda t: np.outer(1 - t, p0) + np.outer(t, p1)


def circle_arc(cx, cy, r, a0, a1):
    """Points at angles from a0 to a1 (either direction), canvas y pointing down."""

    def points(t):
        angle = a0 + t * (a1 - a0)
        return np.column_stack([cx + r * np.cos(angle), cy + r * np.sin(angle)])

    return points


def quadratic(p0, c, p1):
    p0, c, p1 = map(np.asarray, (p0, c, p1))
    return lambda t: np.outer((1 - t) ** 2, p0) + np.outer(2 * (1 - t) * t, c) + np.outer(t**2, p1)


def cubic(p0, c1, c2, p1):
    p0, c1, c2, p1 = map(np.asarray, (p0, c1, c2, p1))
    return lambda t: (
        np.outer((1 - t) ** 3, p0)
        + np.outer(3 * (1 - t) ** 2 * t, c1)
        + np.outer(3 * (1 - t) * t**2, c2)
        + np.outer(t**3, p1)
    )


def pixel_centres(size):
    ys, xs = np.mgrid[0:size, 0:size] + 0.5
    return np.column_stack([xs.ravel(), ys.ravel()])


def stroke_distance(curves, size):
    """Signed distance in pixels to strokes along the given canvas-unit curves."""
    scale = size / 100
    samples = []
    for curve in curves:
        coarse = curve(np.linspace(0, 1, 1001)) * scale
        length = np.linalg.norm(np.diff(coarse, axis=0), axis=1).sum()
        samples.append(curve(np.linspace(0, 1, int(length / SAMPLE_SPACING_PX) + 2)) * scale)
    distance, _ = cKDTree(np.concatenate(samples)).query(pixel_centres(size))
    return distance.reshape(size, size) - LINE_WIDTH / 2 * scale


def decode(values, size):
    spread_px = SDF_SPREAD * size / 100
    return (128.0 - values.astype(float)) * spread_px / 128


def assert_matches(values, reference, size):
    spread_px = SDF_SPREAD * size / 100
    band = (values > 0) & (values < 255)
    assert band.sum() > 1000
    error = np.abs(decode(values, size) - reference)[band]
    assert error.max() <= 0.5, f"max error {error.max():.3f} px"
    # Clamped pixels are really that far outside or inside.
    assert (reference[values == 0] >= spread_px - 0.5).all()
    assert (reference[values == 255] <= -spread_px + 0.5).all()


@pytest.mark.parametrize("size", [128, 256])
def test_line_strokes_match_the_analytic_distance(size):
    source = "ctx.moveTo(20, 20); ctx.lineTo(80, 35); ctx.lineTo(35, 85); ctx.stroke()"
    reference = stroke_distance([segment((20, 20), (80, 35)), segment((80, 35), (35, 85))], size)
    assert_matches(sdf_array(parse_sigil(source), size=size), reference, size)


@pytest.mark.parametrize("size", [128, 256])
def test_arc_strokes_match_the_analytic_distance(size):
    source = (
        "ctx.arc(50, 50, 30, 0.3, 4); ctx.stroke();"
        "ctx.beginPath(); ctx.arc(40, 60, 12, 1, 5, true); ctx.stroke()"
    )
    # Clockwise 0.3 -> 4 increases the angle; counterclockwise 1 -> 5 decreases it to
    # 5 - 2*pi, as canvas reduces the sweep modulo a full turn.
    reference = stroke_distance(
        [circle_arc(50, 50, 30, 0.3, 4.0), circle_arc(40, 60, 12, 1.0, 5.0 - 2 * np.pi)], size
    )
    assert_matches(sdf_array(parse_sigil(source), size=size), reference, size)


@pytest.mark.parametrize("size", [128, 256])
def test_curve_strokes_match_the_analytic_distance(size):
    source = (
        "ctx.moveTo(15, 80); ctx.quadraticCurveTo(50, 0, 85, 80);"
        "ctx.moveTo(10, 30); ctx.bezierCurveTo(40, 100, 60, -20, 90, 60); ctx.stroke()"
    )
    reference = stroke_distance(
        [quadratic((15, 80), (50, 0), (85, 80)), cubic((10, 30), (40, 100), (60, -20), (90, 60))],
        size,
    )
    assert_matches(sdf_array(parse_sigil(source), size=size), reference, size)


def test_filled_circle_matches_its_closed_form_distance():
    size = 256
    radius = 25 * size / 100
    centre = np.hypot(*(pixel_centres(size) - size / 2).T).reshape(size, size)
    values = sdf_array(parse_sigil("ctx.arc(50, 50, 25, 0, Math.PI * 2); ctx.fill()"), size=size)
    assert_matches(values, centre - radius, size)
    assert values[128, 128] == 255


def test_filled_ring_matches_its_closed_form_distance():
    size = 256
    scale = size / 100
    centre = np.hypot(*(pixel_centres(size) - size / 2).T).reshape(size, size)
    reference = np.maximum(centre - 30 * scale, 15 * scale - centre)
    source = (
        "ctx.arc(50, 50, 30, 0, Math.PI * 2); ctx.arc(50, 50, 15, 0, Math.PI * 2, true);ctx.fill()"
    )
    assert_matches(sdf_array(parse_sigil(source), size=size), reference, size)


def test_stroke_and_fill_combine_as_the_union():
    size = 256
    scale = size / 100
    centre = np.hypot(*(pixel_centres(size) - size / 2).T).reshape(size, size)
    fill = centre - 10 * scale
    stroke = stroke_distance([segment((10, 80), (90, 80))], size)
    source = (
        "ctx.arc(50, 50, 10, 0, Math.PI * 2); ctx.fill();"
        "ctx.beginPath(); ctx.moveTo(10, 80); ctx.lineTo(90, 80); ctx.stroke()"
    )
    assert_matches(sdf_array(parse_sigil(source), size=size), np.minimum(fill, stroke), size)


def test_edge_is_128_far_away_is_0_and_values_fall_monotonically_outwards():
    # At 100 px a pixel is one unit: the line at y = 50.5 has its edges on the centres of
    # rows 49 and 51, and the spread is 4 px.
    source = "ctx.moveTo(10, 50.5); ctx.lineTo(90, 50.5); ctx.stroke()"
    values = sdf_array(parse_sigil(source), size=100)
    assert values[49, 50] == values[51, 50] == 128
    assert values[50, 50] == 160  # one pixel inside: 128 + 128 * 1 / 4
    assert values[55, 50] == 0  # four pixels outside: the spread
    assert values[0, 0] == 0
    column = values[:, 50].astype(int)
    assert (np.diff(column[:51]) >= 0).all()
    assert (np.diff(column[50:]) <= 0).all()


def test_fields_of_different_sizes_agree_because_the_spread_is_in_canvas_units():
    commands = parse_sigil(
        "ctx.arc(50, 50, 30, 0, 5); ctx.moveTo(10, 90); ctx.lineTo(90, 70); ctx.stroke()"
    )
    small = sdf_array(commands, size=100).astype(int)
    large = sdf_array(commands, size=300).astype(int)
    # Pixel (i, j) at 100 px and pixel (3i + 1, 3j + 1) at 300 px share their centre.
    same_points = large[1::3, 1::3]
    assert np.abs(same_points - small).max() <= 1
    assert (small > 0).sum() > 1000


def test_render_sdf_is_a_grayscale_png_of_the_field():
    commands = parse_sigil("ctx.arc(50, 50, 30, 0, Math.PI * 2); ctx.stroke()")
    image = Image.open(io.BytesIO(render_sdf(commands, size=64)))
    assert (image.mode, image.size) == ("L", (64, 64))
    assert (np.asarray(image) == sdf_array(commands, size=64)).all()


def test_empty_sigil_is_all_outside():
    assert (sdf_array([], size=32) == 0).all()
