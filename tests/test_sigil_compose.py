import math

import pytest

from dreams.sigils import commands_to_code, generate_sigil, parse_sigil
from dreams.sigils.commands import MAX_COMMANDS
from dreams.sigils.compose import (
    CENTRE,
    CENTRE_RADIUS,
    MAX_MEMBERS,
    MEDALLION_STROKES,
    RING_RADIUS,
    compose_sigils,
)
from dreams.sigils.parse import MAX_SOURCE_BYTES
from dreams.sigils.paths import Arc, Line, trace_paints

# A vertical line from (50, 10) to (50, 90) and a half circle of radius 20 around the
# centre, starting at its rightmost point: its extent from the centre is 40.
MARKED = [
    ["beginPath"],
    ["moveTo", 50, 10],
    ["lineTo", 50, 90],
    ["arc", 50, 50, 20, 0, math.pi, False],
    ["stroke"],
]


def _members(count: int) -> list[list[list]]:
    return [generate_sigil(f"member-{index}").commands for index in range(count)]


def _points(commands: list[list]) -> list[tuple[float, float]]:
    """Every point a drawing can reach: coordinates, control points, arcs' bounding boxes."""
    points = []
    for name, *args in commands:
        if name == "arc":
            x, y, radius = args[:3]
            points += [(x - radius, y - radius), (x + radius, y + radius)]
        else:
            points += list(zip(args[::2], args[1::2], strict=True))
    return points


def _blocks(commands: list[list]) -> list[list[list]]:
    """The composition cut at each beginPath: the frame first, then one block per member
    (MARKED paints once, so each copy of it is one block)."""
    blocks: list[list[list]] = []
    for command in commands:
        if command[0] == "beginPath":
            blocks.append([])
        blocks[-1].append(command)
    return blocks


@pytest.mark.parametrize("count", [1, 2, 3, 5, MAX_MEMBERS])
def test_composition_stays_on_the_canvas_and_parses(count):
    composed = compose_sigils(_members(count), seed="night")
    assert all(0 <= x <= 100 and 0 <= y <= 100 for x, y in _points(composed))
    assert parse_sigil(commands_to_code(composed)) == composed
    assert any(command[0] == "stroke" for command in composed)


def test_far_flung_members_are_shrunk_into_their_slots():
    wild = [
        ["beginPath"],
        ["moveTo", -900, -900],
        ["bezierCurveTo", 1000, -500, -300, 1050, 1090, 1090],
        ["stroke"],
    ]
    composed = compose_sigils([wild, wild, wild], seed="wide")
    assert all(0 <= x <= 100 and 0 <= y <= 100 for x, y in _points(composed))


def test_huge_members_are_cut_to_the_command_and_source_limits():
    curve = ["bezierCurveTo", 12.3456, 87.6543, 23.4567, 76.5432, 34.5678, 65.4321]
    huge = [["beginPath"], ["moveTo", 1.2345, 98.7654], *[curve] * 497, ["stroke"]]
    composed = compose_sigils([huge] * 20, seed="many")
    code = commands_to_code(composed)
    assert len(composed) <= MAX_COMMANDS
    assert len(code.encode()) <= MAX_SOURCE_BYTES
    assert parse_sigil(code) == composed
    # Each member was cut, but still paints what is left of it.
    blocks = _blocks(composed)[1:]
    assert len(blocks) == MAX_MEMBERS
    assert all(block[-1] == ["stroke"] for block in blocks)


@pytest.mark.parametrize("count", [1, 4])
def test_arcs_scale_and_turn_with_their_member(count):
    composed = compose_sigils([MARKED] * count, seed="marked")
    for block in _blocks(composed)[1:]:
        (_, x0, y0), (_, x1, y1), arc = block[1], block[2], block[3]
        scale = math.dist((x0, y0), (x1, y1)) / 80
        _, cx, cy, radius, start, _end, ccw = arc
        assert radius == pytest.approx(20 * scale, abs=1e-3)
        # The line's midpoint is the old centre; the arc starts where the old start point
        # (20 units along the line's normal, which is +x before turning) ended up.
        assert (cx, cy) == pytest.approx(((x0 + x1) / 2, (y0 + y1) / 2), abs=1e-3)
        down = ((x1 - x0) / 80 / scale, (y1 - y0) / 80 / scale)  # the old +y, turned
        right = (down[1], -down[0])  # the old +x, turned the same way
        expected = (cx + radius * right[0], cy + radius * right[1])
        actual = (cx + radius * math.cos(start), cy + radius * math.sin(start))
        assert actual == pytest.approx(expected, abs=1e-3)
        assert ccw is False


def _sweeps(commands: list[list]) -> list[float]:
    return [
        segment.sweep
        for paint in trace_paints(commands)
        for subpath in paint.subpaths
        for segment in subpath.segments
        if isinstance(segment, Arc)
    ]


def test_turned_arcs_sweep_as_before_however_large_their_angles():
    arcs = [
        ["beginPath"],
        ["arc", 50, 50, 20, 900, 0, True],  # a full circle, counterclockwise
        ["stroke"],
        ["beginPath"],
        ["arc", 50, 50, 10, 1, 0.5, False],  # clockwise the long way round
        ["arc", 50, 50, 15, -700, -699, True],
        ["stroke"],
    ]
    composed = compose_sigils([arcs] * 3, seed="angles")
    original = _sweeps(arcs)
    sweeps = _sweeps([command for block in _blocks(composed)[1:] for command in block])
    assert len(sweeps) == 3 * len(original)
    for member in range(3):
        turned = sweeps[member * len(original) : (member + 1) * len(original)]
        assert turned == pytest.approx(original, abs=1e-3)
    angles = [angle for command in composed if command[0] == "arc" for angle in command[4:6]]
    assert all(abs(angle) <= 4 * math.pi for angle in angles)


def test_a_single_member_fills_the_frame():
    composed = compose_sigils([MARKED], seed="one")
    (_, _, y0), (_, _, y1) = _blocks(composed)[1][1:3]
    assert y1 - y0 == pytest.approx(88)  # its extent, 40, fitted to a disc of radius 44


def test_same_members_and_seed_give_the_same_composition():
    members = _members(4)
    assert compose_sigils(members, seed="a") == compose_sigils(members, seed="a")
    assert compose_sigils(members, seed="a") != compose_sigils(members, seed="b")


def test_members_that_paint_nothing_are_left_out():
    unpainted = [["beginPath"], ["moveTo", 10, 10], ["lineTo", 90, 90]]
    assert compose_sigils([], seed="x") == []
    assert compose_sigils([unpainted, []], seed="x") == []
    assert compose_sigils([unpainted, MARKED], seed="x") == compose_sigils([MARKED], seed="x")


def test_each_member_gets_its_own_path_and_no_unpainted_tail():
    open_member = [["moveTo", 10, 50], ["lineTo", 90, 50], ["stroke"], ["moveTo", 0, 0]]
    composed = compose_sigils([open_member, open_member], seed="paths")
    blocks = _blocks(composed)
    assert len(blocks) == 3
    assert all(block[-1] == ["stroke"] for block in blocks)


def _lines(commands: list[list]) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    return [
        (segment.start, segment.end)
        for paint in trace_paints(commands)
        for subpath in paint.subpaths
        for segment in subpath.segments
        # A moveTo and an arc's start, rounded apart, leave a line of a ten-thousandth.
        if isinstance(segment, Line) and math.dist(segment.start, segment.end) > 0.01
    ]


def test_the_centre_keeps_its_six_longest_strokes_and_a_medallion_its_two():
    # Eight separate bars of lengths 10 to 80: at 40 px a member's short strokes are specks.
    bars = [["beginPath"]]
    for length in range(10, 90, 10):
        y = 5 + length
        bars += [["moveTo", 50 - length / 2, y], ["lineTo", 50 + length / 2, y]]
    bars.append(["stroke"])
    composed = compose_sigils([bars] * 3, seed="bars")
    lines = _lines(composed)

    def near_centre(line):
        (x0, y0), (x1, y1) = line
        return math.dist(((x0 + x1) / 2, (y0 + y1) / 2), (CENTRE, CENTRE)) < CENTRE_RADIUS

    def relative(lines):
        lengths = sorted(math.dist(*line) for line in lines)
        return [round(length / lengths[-1], 3) for length in lengths]

    centre = [line for line in lines if near_centre(line)]
    assert relative(centre) == [round(n / 8, 3) for n in range(3, 9)]
    medallions = [line for line in lines if not near_centre(line)]
    assert len(medallions) == 2 * MEDALLION_STROKES
    assert relative(medallions) == [0.875, 0.875, 1.0, 1.0]


@pytest.mark.parametrize("count", [2, 3, 5, MAX_MEMBERS])
def test_the_ring_is_broken_only_where_a_medallion_sits(count):
    composed = compose_sigils([MARKED] * count, seed="ring")
    frame, *members = _blocks(composed)
    # MARKED's line runs through its centre: each medallion's centre and radius.
    medallions = []
    for block in members[1:]:
        (_, x0, y0), (_, x1, y1) = block[1], block[2]
        medallions.append((((x0 + x1) / 2, (y0 + y1) / 2), math.dist((x0, y0), (x1, y1)) / 2))
    ring = [
        segment
        for paint in trace_paints(frame)
        for subpath in paint.subpaths
        for segment in subpath.segments
        if isinstance(segment, Arc)
    ]
    assert len(ring) == count - 1
    assert all(arc.radius == pytest.approx(RING_RADIUS) for arc in ring)
    for degree in range(360):
        angle = math.radians(degree)
        point = (CENTRE + RING_RADIUS * math.cos(angle), CENTRE + RING_RADIUS * math.sin(angle))
        drawn = any(((angle - arc.start_angle) % math.tau) <= arc.sweep + 1e-6 for arc in ring)
        medallion = min(math.dist(point, centre) - radius for centre, radius in medallions)
        # Ring and medallions make one outline: where the ring stops a medallion starts,
        # and no arc runs through a medallion.
        assert drawn or medallion < 2.5, degree
        assert not drawn or medallion > 0, degree
