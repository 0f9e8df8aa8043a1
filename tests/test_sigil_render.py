import io
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from dreams.sigils import parse_sigil, render_png, render_svg, sdf_array

SVG = "{http://www.w3.org/2000/svg}"


def alpha(source: str, size: int = 512) -> np.ndarray:
    image = Image.open(io.BytesIO(render_png(parse_sigil(source), size=size)))
    assert image.mode == "LA"
    return np.asarray(image)[:, :, 1]


def at(alphas: np.ndarray, x: float, y: float) -> int:
    """Alpha of the pixel containing canvas point (x, y)."""
    scale = alphas.shape[0] / 100
    return int(alphas[int(y * scale), int(x * scale)])


def test_svg_is_well_formed_xml_with_exact_arcs_and_white_round_strokes():
    svg = render_svg(parse_sigil("ctx.arc(50, 50, 30, 0, Math.PI * 2); ctx.stroke()"), size=300)
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert (root.get("viewBox"), root.get("width"), root.get("height")) == (
        "0 0 100 100",
        "300",
        "300",
    )
    [path] = root.iter(f"{SVG}path")
    # A full circle is two half-circle arcs, never a polyline.
    assert path.get("d") == "M80 50A30 30 0 0 1 20 50A30 30 0 0 1 80 50"
    assert path.get("stroke") == "#fff"
    assert path.get("stroke-width") == "2"
    assert path.get("stroke-linecap") == path.get("stroke-linejoin") == "round"
    assert path.get("fill") == "none"


def test_svg_writes_curves_closes_and_fills_with_nonzero_rule():
    svg = render_svg(
        parse_sigil(
            "ctx.moveTo(10, 10); ctx.quadraticCurveTo(20, 30, 40, 10);"
            "ctx.bezierCurveTo(1, 2, 3, 4, 5, 6); ctx.closePath(); ctx.fill()"
        )
    )
    [path] = ET.fromstring(svg).iter(f"{SVG}path")
    assert path.get("d") == "M10 10Q20 30 40 10C1 2 3 4 5 6Z"
    assert (path.get("fill"), path.get("fill-rule")) == ("#fff", "nonzero")


def test_svg_carries_nothing_from_the_source_but_numbers():
    svg = render_svg(parse_sigil('/* <script>alert("x")</script> */ ctx.lineTo(1, 2)'))
    assert "script" not in svg
    assert list(ET.fromstring(svg)) == []


def test_svg_counterclockwise_arc_uses_the_other_sweep_flag():
    [path] = ET.fromstring(
        render_svg(parse_sigil("ctx.arc(50, 50, 10, 0, 1, true); ctx.stroke()"))
    ).iter(f"{SVG}path")
    # Counterclockwise from 0 to 1 radian sweeps 2*pi - 1: more than pi, so two halves.
    assert path.get("d").count("A10 10 0 0 0 ") == 2


def test_png_is_512_px_transparent_around_white_strokes_with_antialiased_edges():
    png = render_png(parse_sigil("ctx.moveTo(20, 50.1); ctx.lineTo(80, 50.1); ctx.stroke()"))
    image = Image.open(io.BytesIO(png))
    assert (image.size, image.mode) == ((512, 512), "LA")
    pixels = np.asarray(image)
    assert (pixels[[0, 0, -1, -1], [0, -1, 0, -1], 1] == 0).all()
    assert tuple(pixels[256, 256]) == (255, 255)
    # Going down from the centreline the coverage falls from 1 to 0 through partial
    # values: the edge at y = 51.1 units (261.6 px) is shared between two pixel rows.
    column = pixels[250:270, 256, 1].astype(int)
    assert (np.diff(column[6:]) <= 0).all()
    assert 0 < column[11] < 255
    assert column[7] == 255
    assert column[13] == 0


def test_clockwise_and_counterclockwise_arcs_paint_opposite_halves():
    clockwise = alpha("ctx.arc(50, 50, 30, 0, Math.PI); ctx.stroke()")
    counter = alpha("ctx.arc(50, 50, 30, 0, Math.PI, true); ctx.stroke()")
    # y points down: clockwise from angle 0 to pi passes through the bottom (50, 80).
    assert at(clockwise, 50, 80) == 255
    assert at(clockwise, 50, 20) == 0
    assert at(counter, 50, 20) == 255
    assert at(counter, 50, 80) == 0


def test_arc_sweeps_the_whole_circle_only_past_two_pi_in_its_direction():
    full = alpha("ctx.arc(50, 50, 30, 0, 7); ctx.stroke()")
    backwards = alpha("ctx.arc(50, 50, 30, 0, -7); ctx.stroke()")
    assert at(full, 50, 20) == at(full, 50, 80) == at(full, 80, 50) == 255
    # -7 is 5.566 modulo 2*pi: the clockwise sweep stops short of angle 0 by 0.717.
    assert at(backwards, 50, 80) == 255
    assert at(backwards, 50 + 30 * np.cos(-0.36), 50 + 30 * np.sin(-0.36)) == 0


def test_arc_draws_a_line_from_the_current_point_to_its_start():
    alphas = alpha("ctx.moveTo(10, 10); ctx.arc(50, 50, 20, 0, 1); ctx.stroke()")
    assert at(alphas, 40, 30) == 255  # halfway from (10, 10) to the arc start (70, 50)
    assert at(alpha("ctx.arc(50, 50, 20, 0, 1); ctx.stroke()"), 40, 30) == 0


def test_close_path_strokes_back_to_the_subpath_start():
    open_path = "ctx.moveTo(20, 20); ctx.lineTo(80, 20); ctx.lineTo(80, 80);"
    assert at(alpha(open_path + "ctx.stroke()"), 50, 50) == 0
    assert at(alpha(open_path + "ctx.closePath(); ctx.stroke()"), 50, 50) == 255


def test_stroke_ignores_zero_length_subpaths():
    assert alpha("ctx.moveTo(50, 50); ctx.lineTo(50, 50); ctx.stroke()").max() == 0


def test_fill_paints_the_inside_of_the_path():
    alphas = alpha("ctx.arc(50, 50, 20, 0, Math.PI * 2); ctx.fill()")
    assert at(alphas, 50, 50) == at(alphas, 35, 50) == 255
    assert at(alphas, 50, 75) == 0


def test_fill_implicitly_closes_open_subpaths():
    alphas = alpha("ctx.moveTo(20, 20); ctx.lineTo(80, 20); ctx.lineTo(80, 80); ctx.fill()")
    assert at(alphas, 70, 30) == 255
    assert at(alphas, 30, 70) == 0


def test_fill_uses_the_nonzero_rule_for_overlaps_and_holes():
    same_direction = alpha(
        "ctx.arc(50, 50, 30, 0, Math.PI * 2); ctx.arc(50, 50, 10, 0, Math.PI * 2); ctx.fill()"
    )
    ring = alpha(
        "ctx.arc(50, 50, 30, 0, Math.PI * 2); ctx.arc(50, 50, 10, 0, Math.PI * 2, true);ctx.fill()"
    )
    assert at(same_direction, 50, 50) == 255  # winding 2: still inside
    assert at(ring, 50, 50) == 0  # winding 0: a hole
    assert at(ring, 50, 30) == 255


def test_lines_inside_a_filled_region_leave_no_seam():
    # The ring's arc() calls join the circles with a line (70, 50)-(60, 50), traversed
    # twice: filled on both sides, it is not an edge of the shape.
    source = (
        "ctx.arc(50, 50, 20, 0, Math.PI * 2); ctx.arc(50, 50, 10, 0, Math.PI * 2, true);ctx.fill()"
    )
    alphas = alpha(source, size=100)
    assert (alphas[49:52, 61:69] == 255).all()
    field = sdf_array(parse_sigil(source), size=100)
    assert field[50, 65] > 160  # about 5 px inside both circles' edges


@pytest.fixture
def sigil_file(tmp_path):
    path = tmp_path / "sigil.js"
    path.write_text("ctx.beginPath();\nctx.arc(50, 50, 30, 0, Math.PI * 2);\nctx.stroke();\n")
    return path


@pytest.mark.parametrize(
    ("fmt", "mode", "size"),
    [("png", "LA", 512), ("sdf", "L", 256)],
)
def test_sigil_command_renders_raster_formats_to_a_file(sigil_file, tmp_path, fmt, mode, size):
    out = tmp_path / f"out.{fmt}.png"
    call_command("sigil", "render", str(sigil_file), "--format", fmt, "--out", str(out))
    image = Image.open(out)
    assert (image.mode, image.size) == (mode, (size, size))


def test_sigil_command_renders_svg_at_the_requested_size(sigil_file, tmp_path):
    out = tmp_path / "out.svg"
    call_command(
        "sigil", "render", str(sigil_file), "--format", "svg", "--out", str(out), "--size", "64"
    )
    root = ET.fromstring(out.read_text())
    assert root.get("width") == "64"
    assert "A30 30" in next(root.iter(f"{SVG}path")).get("d")


def test_sigil_command_reads_stdin_and_writes_binary_stdout(monkeypatch):
    stdin = io.TextIOWrapper(io.BytesIO(b"ctx.moveTo(10, 10)\nctx.lineTo(90, 90)\nctx.stroke()"))
    stdout = io.TextIOWrapper(io.BytesIO())
    monkeypatch.setattr(sys, "stdin", stdin)
    monkeypatch.setattr(sys, "stdout", stdout)
    call_command("sigil", "render", "-", "--format", "png", "--out", "-", "--size", "32")
    data = stdout.buffer.getvalue()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert Image.open(io.BytesIO(data)).size == (32, 32)


def test_sigil_command_exits_2_with_the_parser_message_and_writes_nothing(tmp_path):
    source = tmp_path / "bad.js"
    source.write_text("ctx.moveTo(10, 10)\nctx.lineTo(10, 'x')\n")
    out = tmp_path / "out.png"
    with pytest.raises(CommandError) as caught:
        call_command("sigil", "render", str(source), "--format", "png", "--out", str(out))
    assert caught.value.returncode == 2
    assert str(caught.value).startswith("line 2, column 16: strings are not allowed")
    assert not out.exists()


@pytest.mark.parametrize("render", [render_svg, render_png, sdf_array])
@pytest.mark.parametrize("size", [0, -1, 4097, 2.5, True])
def test_renderers_reject_sizes_outside_1_to_4096_pixels(render, size):
    with pytest.raises(ValueError, match="size must be"):
        render([], size=size)


def test_renderers_validate_the_command_list():
    with pytest.raises(ValueError, match="unknown name 'eval'"):
        render_png([["eval", "alert(1)"]])


def test_bench_command_prints_each_stage_with_its_target_and_the_baseline_ratio():
    from django.core.management import call_command

    out = io.StringIO()
    call_command("bench_sigils", "--repeats", "1", stdout=out)
    report = out.getvalue()
    for stage in ["parse + PNG 512", "SDF 512", "baseline: windowed brute-force SDF 512"]:
        assert stage in report
    assert "faster than the windowed brute-force baseline" in report
