import io
from collections import Counter

import numpy as np
from PIL import Image
from scipy import ndimage

from benchmarks.voice_corpus import sigil_ink
from dreams.sigils import GeneratedSigil, generate_sigil, parse_sigil, render_png
from dreams.sigils.generate import MAX_STROKES
from tests.test_offline_voice import MOMENT_COVERAGE, MOMENT_SPAN

SEEDS = range(300)
LOW, HIGH = 8.0, 92.0
LINES = {"lineTo", "closePath"}
CURVES = {"quadraticCurveTo", "bezierCurveTo"}


def kinds(commands):
    names = {command[0] for command in commands}
    return {
        "line": bool(names & LINES),
        "arc": "arc" in names,
        "curve": bool(names & CURVES),
    }


def picture(commands, size=192):
    png = render_png(commands, size=size)
    return np.asarray(Image.open(io.BytesIO(png)))[:, :, 1] / 255


def mismatch(a, b):
    """Share of the painted area where two pictures differ (0 identical, ~1 unrelated)."""
    return np.abs(a - b).sum() / np.maximum(a, b).sum()


def rotated(image, order):
    # Rotation about the array centre, which is the canvas centre (50, 50).
    return ndimage.rotate(image, 360 / order, reshape=False, order=1)


def test_same_seed_gives_the_same_sigil_and_int_seeds_match_their_text():
    assert generate_sigil("moment-42") == generate_sigil("moment-42")
    assert generate_sigil(42) == generate_sigil("42")
    assert isinstance(generate_sigil(1), GeneratedSigil)


def test_different_seeds_give_different_sigils():
    codes = {generate_sigil(seed).code for seed in SEEDS}
    assert len(codes) == len(SEEDS)


def test_different_seeds_look_different():
    pictures = [picture(generate_sigil(seed).commands, size=64) for seed in range(12)]
    for a in range(len(pictures)):
        for b in range(a + 1, len(pictures)):
            assert mismatch(pictures[a], pictures[b]) > 0.3


def test_code_parses_back_to_the_commands():
    for seed in SEEDS:
        sigil = generate_sigil(seed)
        assert parse_sigil(sigil.code) == sigil.commands


def test_sigils_have_10_to_30_commands_spread_over_the_range():
    lengths = Counter(len(generate_sigil(seed).commands) for seed in SEEDS)
    assert min(lengths) == 10
    assert max(lengths) == 30
    # The ink a chip can hold makes long sigils rarer (most drawings stop before their
    # budget), but the range is still spanned.
    assert len(lengths) >= 17


def test_everything_stays_inside_the_canvas_margins():
    for seed in SEEDS:
        for name, *args in generate_sigil(seed).commands:
            if name == "arc":
                x, y, r = args[:3]
                assert x - r >= LOW and x + r <= HIGH, (seed, args)
                assert y - r >= LOW and y + r <= HIGH, (seed, args)
            else:
                assert all(LOW <= value <= HIGH for value in args), (seed, name, args)


def test_sigils_mix_lines_arcs_and_curves():
    mixes = [kinds(generate_sigil(seed).commands) for seed in SEEDS]
    assert sum(all(mix.values()) for mix in mixes) >= 0.8 * len(SEEDS)
    names = {command[0] for seed in SEEDS for command in generate_sigil(seed).commands}
    assert names >= {"moveTo", "lineTo", "arc", "quadraticCurveTo", "bezierCurveTo", "fill"}


def test_sigils_are_mostly_mirror_symmetric_and_otherwise_rotationally_symmetric():
    mirrored = turned = 0
    for seed in range(150):
        image = picture(generate_sigil(seed).commands)
        if mismatch(image, image[:, ::-1]) < 0.1:
            mirrored += 1
        elif any(mismatch(image, rotated(image, order)) < 0.15 for order in (3, 4, 5, 6, 8)):
            turned += 1
    assert mirrored >= 0.7 * 150
    assert turned >= 0.05 * 150
    assert mirrored + turned == 150


def test_symmetry_measure_tells_an_asymmetric_drawing_apart():
    source = "ctx.moveTo(20, 20); ctx.lineTo(80, 40); ctx.arc(40, 60, 15, 0, 3); ctx.stroke()"
    image = picture(parse_sigil(source))
    assert mismatch(image, image[:, ::-1]) > 0.5
    assert all(mismatch(image, rotated(image, order)) > 0.5 for order in (3, 4, 5, 6, 8))


def test_every_sigil_reads_at_40_px():
    # At 40 px a stroke is 0.8 px: a legible sigil is one figure of a few strokes spanning
    # the chip. Bounds and their reasons: tests/test_offline_voice.py.
    for seed in SEEDS:
        ink = sigil_ink(generate_sigil(seed).commands)
        assert MOMENT_COVERAGE[0] <= ink.coverage <= MOMENT_COVERAGE[1], (seed, ink)
        assert ink.strokes <= MAX_STROKES, (seed, ink)
        assert ink.span >= MOMENT_SPAN, (seed, ink)
