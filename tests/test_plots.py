"""The pictures: server-drawn SVG plots of the mood over time, the moments on the
circumplex and the continuity threads, one mark per data point given."""

import ast
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dreams.models import ContinuityThread, DreamReview, MindMoment, MomentKind, ThreadStatus
from dreams.plots import circumplex, mood, threads
from dreams.plots.circumplex import Reading, circumplex_plot, circumplex_reading
from dreams.plots.mood import DreamMark, MoodPoint, mood_plot
from dreams.plots.threads import Appearance, DreamColumn, ThreadRow, thread_timeline
from dreams.selectors import plot_data
from tests.factories import make_moment

SVG = "{http://www.w3.org/2000/svg}"
T0 = datetime(2025, 5, 3, 14, 0, tzinfo=UTC)
HOSTILE = "<script>alert(\"x\")</script> & 'quoted'"


def parse(svg: str) -> ET.Element:
    """The plot's markup as XML: it parses only if every text in it was escaped."""
    return ET.fromstring(svg)


def with_class(root: ET.Element, name: str) -> list[ET.Element]:
    return [el for el in root.iter() if name in (el.get("class") or "").split()]


def marks(root: ET.Element) -> list[ET.Element]:
    return with_class(root, "mark")


def points(count: int, **fields) -> list[MoodPoint]:
    return [
        MoodPoint(
            at=T0 + timedelta(minutes=3 * index),
            valence=fields.get("valence", (index % 5) / 4 - 0.5),
            arousal=fields.get("arousal", 0.25),
            label=fields.get("label", f"Cycle {index}"),
        )
        for index in range(count)
    ]


def readings(*pairs: tuple[float, float], label: str = "moment") -> list[Reading]:
    return [
        Reading(v, a, "#dbc865", f"{label} {i}", f"/moments/{i}/") for i, (v, a) in enumerate(pairs)
    ]


def row(name: str, status: str, *sequences: int) -> ThreadRow:
    return ThreadRow(
        name=name,
        status=status,
        times_seen=len(sequences),
        appearances=tuple(Appearance(seq, "recurring") for seq in sequences),
    )


def columns(*sequences: int) -> list[DreamColumn]:
    return [DreamColumn(seq, f"Dream title {seq}") for seq in sequences]


def render(source: str, **context) -> str:
    return Template("{% load plots %}" + source).render(Context(context))


def figures(html: str) -> dict[str, dict]:
    """Each figure of a page by its plot kind: its data-count and its marks, counted."""
    found = {}
    for match in re.finditer(
        r'<figure class="plot [^"]*" data-plot="(\w+)"(.*?)</figure>', html, re.S
    ):
        kind, body = match.groups()
        count = int(re.search(r'data-count="(\d+)"', body).group(1))
        svg = re.search(r"<svg.*</svg>", body, re.S)
        root = parse(svg.group(0)) if svg else None
        found[kind] = {
            "count": count,
            "marks": len(marks(root)) if root is not None else 0,
            "html": body,
            "svg": root,
        }
    return found


def make_review(
    sequence: int, *, threads=(), themes=None, at: datetime | None = None
) -> DreamReview:
    dream = make_moment(kind=MomentKind.DREAM, with_sigil=False)
    cited = make_moment(with_sigil=False) if themes is None else None
    return DreamReview.objects.create(
        sequence=sequence,
        title=f"Dream title {sequence}",
        narrative="A narrative.",
        themes=themes
        if themes is not None
        else [{"name": "t", "summary": "s", "moment_ids": [cited.pk]}],
        threads=list(threads),
        moment=dream,
        engine="offline",
        material_count=3,
        material_through_cycle=dream.cycle,
        created_at=at or timezone.now(),
    )


def snapshot(name: str, status: str) -> dict:
    return {
        "name": name,
        "status": status,
        "times_seen": 1,
        "first_seen_at": T0.isoformat(),
        "note": "",
    }


# The mood over time


@pytest.mark.parametrize("count", [1, 2, 7, 300])
def test_the_mood_plot_draws_one_mark_per_moment_given(count):
    plot = mood_plot(points(count), covers="the last moments")
    assert plot.count == count
    assert len(marks(parse(plot.svg))) == count


def test_many_moments_are_small_points_on_faint_lines_under_a_moving_average():
    plot = mood_plot(points(300), covers="the last 300 moments")
    root = parse(plot.svg)
    window = mood.average_window(300)
    assert window % 2 == 1 and window > 1
    trends = with_class(root, "trend")
    assert [t.get("class") for t in trends] == ["trend trend-valence", "trend trend-arousal"]
    assert all(len(t.get("points").split()) == 300 for t in trends)
    lines = [el for el in with_class(root, "line") if el.tag == f"{SVG}polyline"]
    assert len(lines) == 2 and all("line-faint" in line.get("class") for line in lines)
    assert len(marks(root)) == 300  # the averages are not marks
    assert f"average of each {window} moments" in plot.summary

    few = parse(mood_plot(points(10), covers="these").svg)
    assert with_class(few, "trend") == []


def test_the_moving_average_is_centred_and_narrower_at_the_ends():
    assert mood.moving_average([0.0, 0.0, 3.0, 0.0, 0.0], 3) == [0.0, 1.0, 1.0, 1.0, 0.0]


def test_with_no_moments_the_mood_plot_says_so_instead_of_drawing():
    plot = mood_plot([], covers="the last 300 moments")
    assert (plot.svg, plot.count) == ("", 0)
    html = render("{% mood_plot moments %}", moments=[])
    assert "<svg" not in html
    assert "No moments yet" in html
    assert 'data-count="0"' in html


def test_valence_and_arousal_are_drawn_high_for_high_readings():
    root = parse(mood_plot(points(3, valence=1.0, arousal=-1.0), covers="these").svg)
    valence = [float(c.get("cy")) for c in with_class(root, "valence") if c.tag == f"{SVG}circle"]
    arousal = [float(c.get("cy")) for c in with_class(root, "arousal") if c.tag == f"{SVG}circle"]
    assert valence == [mood.TOP] * 3
    assert arousal == [mood.HEIGHT - mood.BOTTOM] * 3


def test_moments_are_placed_along_time_oldest_on_the_left():
    given = points(4)
    root = parse(mood_plot(list(reversed(given)), covers="these").svg)
    xs = [float(mark.find(f"{SVG}circle").get("cx")) for mark in marks(root)]
    assert xs == sorted(xs)
    assert xs[0] == mood.LEFT and xs[-1] == mood.WIDTH - mood.RIGHT


def test_dreams_written_in_the_time_drawn_are_marked_with_their_titles():
    inside = [
        DreamMark(T0 + timedelta(minutes=m), seq, f"Dream {seq} title", f"/dreams/{seq}/")
        for seq, m in ((1, 2), (2, 7))
    ]
    outside = DreamMark(T0 + timedelta(days=2), 3, "Later dream", "/dreams/3/")
    plot = mood_plot(points(5), dreams=[*inside, outside], covers="these")
    root = parse(plot.svg)
    dream_marks = with_class(root, "dream-mark")
    assert len(dream_marks) == 2
    assert [m.find(f"{SVG}title").text.split(" (")[0] for m in dream_marks] == [
        # The titles are isolated, so an Arabic or Hebrew title keeps its own direction.
        "Dream 1: \u2068Dream 1 title\u2069",
        "Dream 2: \u2068Dream 2 title\u2069",
    ]
    assert len(marks(root)) == 5  # dream marks are not moments
    assert [link.href for link in plot.links] == ["/dreams/1/", "/dreams/2/"]


def test_the_mood_summary_says_what_it_covers_and_the_average_reading():
    plot = mood_plot(points(2, valence=0.8, arousal=-0.6), covers="the last 2 moments")
    assert plot.summary.startswith("The last 2 moments, from 3 May 14:00 to 3 May 14:03.")
    assert "On average: valence +0.80 (pleasant), arousal \u22120.60 (calm)." in plot.summary
    assert plot.label == "Mood over the last 2 moments: valence and arousal"


# The circumplex


def test_the_circumplex_draws_one_linked_dot_per_moment_given():
    given = readings(*[(i / 10, -i / 10) for i in range(-5, 6)])
    root = parse(circumplex_plot(given, covers="these").svg)
    dots = marks(root)
    assert len(dots) == len(given)
    assert [dot.get("href") for dot in dots] == [r.href for r in given]


def test_a_pleasant_excited_moment_is_in_the_top_right_quadrant():
    root = parse(circumplex_plot(readings((1.0, 1.0), (-1.0, -1.0)), covers="these").svg)
    top_right, bottom_left = (mark.find(f"{SVG}circle") for mark in marks(root))
    centre_x, centre_y = circumplex.x(0.0), circumplex.y(0.0)
    assert float(top_right.get("cx")) > centre_x and float(top_right.get("cy")) < centre_y
    assert float(bottom_left.get("cx")) < centre_x and float(bottom_left.get("cy")) > centre_y


@pytest.mark.parametrize("small", [False, True])
def test_dots_at_the_edges_of_the_circumplex_are_drawn_whole_inside_its_frame(small):
    corners = [(1.0, 1.0), (-1.0, -1.0), (1.0, -1.0), (-1.0, 1.0)]
    if small:
        drawn = [circumplex_reading(Reading(v, a, "#dbc865", "this")) for v, a in corners]
    else:
        drawn = [circumplex_plot(readings(*corners), covers="these")]
    circles = [m.find(f"{SVG}circle") for plot in drawn for m in marks(parse(plot.svg))]
    assert len(circles) == 4
    for circle in circles:
        cx, cy, r = (float(circle.get(name)) for name in ("cx", "cy", "r"))
        assert circumplex.X0 < cx - r < cx + r < circumplex.X1
        assert circumplex.Y0 < cy - r < cy + r < circumplex.Y1


def test_the_quadrant_words_are_drawn_over_the_dots_on_a_plate():
    root = parse(circumplex_plot(readings((0.9, 0.9)), covers="these").svg)
    order = [el.get("class") for el in root.iter() if el.get("class") in ("mark", "quadrants")]
    assert order == ["mark", "quadrants"]
    (quadrants,) = with_class(root, "quadrants")
    assert len(with_class(quadrants, "quadrant-plate")) == 4
    # The small circumplex's one reading is what it shows: over the words.
    small = parse(circumplex_reading(Reading(-0.9, 0.9, "#dbc865", "this")).svg)
    layers = [(el.get("class") or "").split()[:1] for el in small.iter()]
    assert [name for (name,) in filter(None, layers) if name in ("mark", "quadrants")] == [
        "quadrants",
        "mark",
    ]


def test_the_circumplex_names_its_quadrants_and_axes():
    root = parse(circumplex_plot(readings((0.5, 0.5)), covers="these").svg)
    words = {el.text for el in root.iter(f"{SVG}text")}
    assert {
        "Elated",
        "Tense",
        "Gloomy",
        "Serene",
        "unpleasant",
        "pleasant",
        "calm",
        "excited",
    } <= words


def test_each_dot_is_drawn_in_its_moments_colour_and_an_odd_colour_falls_back_to_white():
    given = [
        Reading(0.1, 0.2, "#12ab9f", "a", "/moments/1/"),
        Reading(0.1, 0.2, 'red" onload="x', "b"),
    ]
    root = parse(circumplex_plot(given, covers="these").svg)
    assert [m.find(f"{SVG}circle").get("fill") for m in marks(root)] == ["#12ab9f", "#ffffff"]


def test_a_few_dots_are_keyboard_links_many_are_for_the_pointer_only():
    few = parse(circumplex_plot(readings(*[(0.1, 0.1)] * 3), covers="these").svg)
    assert few.get("role") == "group"
    assert all(mark.get("tabindex") is None for mark in marks(few))
    many_count = circumplex.FOCUSABLE_POINTS + 1
    many = parse(circumplex_plot(readings(*[(0.1, 0.1)] * many_count), covers="these").svg)
    assert many.get("role") == "img"
    assert {mark.get("tabindex") for mark in marks(many)} == {"-1"}


def test_with_no_moments_the_circumplex_says_so():
    html = render("{% circumplex_plot moments %}", moments=[])
    assert "<svg" not in html and "No moments yet" in html


def test_the_small_circumplex_shows_one_reading_where_it_belongs():
    plot = circumplex_reading(Reading(-0.8, 0.6, "#aa3344", "Cycle 9"))
    root = parse(plot.svg)
    (dot,) = marks(root)
    circle = dot.find(f"{SVG}circle")
    assert float(circle.get("cx")) < circumplex.x(0.0) and float(circle.get("cy")) < circumplex.y(
        0.0
    )
    assert dot.tag == f"{SVG}g"  # not a link: it is the moment being read
    assert plot.variant == "small"
    assert plot.summary == "Valence \u22120.80 (unpleasant), arousal +0.60 (excited)."


# The continuity threads


def test_the_timeline_draws_one_mark_per_appearance_in_the_dreams_drawn():
    rows = [
        row("the harbour", "recurring", 1, 2, 3),
        row("a door", "new", 3),
        row("old", "faded", 0),
    ]
    plot = thread_timeline(rows, dreams=columns(1, 2, 3), covers="the last 3 dreams")
    root = parse(plot.svg)
    assert plot.count == len(marks(root)) == 4
    # The thread seen only before the window is not a row.
    assert len(with_class(root, "timeline-row")) == 2


def test_each_thread_says_its_status_in_words_and_in_its_style():
    rows = [
        row(name, status, 1)
        for name, status in (("a", "new"), ("b", "recurring"), ("c", "resurfaced"), ("d", "faded"))
    ]
    root = parse(thread_timeline(rows, dreams=columns(1), covers="this dream").svg)
    for thread, status in zip(with_class(root, "timeline-row"), threads.STATUSES, strict=True):
        assert f"timeline-{status}" in thread.get("class")
        (word,) = with_class(thread, "status")
        assert word.text == status


def test_marks_sit_in_their_dreams_column():
    plot = thread_timeline(
        [row("x", "recurring", 2, 4)], dreams=columns(1, 2, 3, 4), covers="these"
    )
    xs = [float(mark.get("cx")) for mark in marks(parse(plot.svg))]
    column = threads.Linear((0.0, 3.0), (threads.LEFT, threads.RIGHT))
    assert xs == pytest.approx([column(1), column(3)], abs=0.01)


def test_a_right_to_left_thread_name_reads_right_to_left():
    root = parse(
        thread_timeline(
            [row("הנמל בלילה", "new", 1), row("harbour", "new", 1)], dreams=columns(1), covers="x"
        ).svg
    )
    # The name decides its own direction; its row's head (name, then status word) follows it.
    assert {n.get("dir") for n in with_class(root, "timeline-name")} == {"auto"}
    assert [head.get("dir") for head in with_class(root, "timeline-head")] == ["rtl", "ltr"]


@pytest.mark.parametrize(
    ("statuses", "said"),
    [
        (["new"] * 5, "5 threads across these dreams. All 5 are new."),
        (["recurring"], "1 thread across these dreams. It is recurring."),
        (["new", "new", "new", "recurring", "faded"], "3 are new, 1 recurring and 1 faded."),
        (["new", "recurring", "recurring"], "1 is new and 2 recurring."),
    ],
)
def test_the_timeline_says_where_its_threads_stand_in_plain_words(statuses, said):
    rows = [row(f"thread {index}", status, 1) for index, status in enumerate(statuses)]
    summary = thread_timeline(rows, dreams=columns(1), covers="these dreams").summary
    assert summary.endswith(said)
    assert "now" not in summary


def test_with_no_threads_the_timeline_says_so():
    plot = thread_timeline([], dreams=columns(1, 2), covers="the last 2 dreams")
    assert (plot.svg, plot.count) == ("", 0)
    assert "No continuity threads yet" in plot.empty


# Text inside the pictures is escaped


def test_text_in_every_plot_is_escaped():
    drawn = [
        mood_plot(points(2, label=HOSTILE), dreams=[DreamMark(T0, 1, HOSTILE)], covers="these"),
        circumplex_plot(readings((0.2, 0.3), label=HOSTILE), covers="these"),
        circumplex_reading(Reading(0.2, 0.3, "#ffffff", HOSTILE)),
        thread_timeline([row(HOSTILE, "new", 1)], dreams=[DreamColumn(1, HOSTILE)], covers="x"),
    ]
    for plot in drawn:
        assert "<script" not in plot.svg
        titles = [el.text for el in parse(plot.svg).iter(f"{SVG}title")]
        assert any(HOSTILE in (text or "") for text in titles)


def test_the_plot_builders_use_no_django_and_no_database():
    for path in Path(mood.__file__).parent.glob("*.py"):
        imported = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
        assert not {
            name for name in imported if name.split(".")[0] in ("django", "rest_framework")
        }, path
        assert not {
            name
            for name in imported
            if name.startswith("dreams.") and not name.startswith("dreams.plots")
        }, path


# The reads behind them, and the dashboard


@pytest.mark.django_db
def test_the_dashboard_draws_its_plots_with_as_many_marks_as_moments(client):
    for index in range(6):
        make_moment(with_sigil=False, valence=index / 6, arousal=-index / 6)
    make_review(1, threads=[snapshot("the harbour", "new")])
    ContinuityThread.objects.create(
        key="the-harbour",
        name="the harbour",
        status=ThreadStatus.NEW,
        first_seen_at=T0,
        last_seen_at=T0,
        times_seen=1,
        last_seen_sequence=1,
    )
    html = client.get("/").content.decode()
    drawn = figures(html)
    moments = MindMoment.objects.count()  # 6, the review's dream moment and its cited one
    assert drawn["mood"]["count"] == drawn["mood"]["marks"] == moments
    assert drawn["circumplex"]["count"] == drawn["circumplex"]["marks"] == moments
    assert drawn["threads"]["count"] == drawn["threads"]["marks"] == 1
    assert f"all {moments} moments so far" in drawn["mood"]["html"]
    assert 'href="/moments/' in drawn["circumplex"]["html"]
    assert 'id="pictures"' in html


@pytest.mark.django_db
def test_a_dashboard_with_no_moments_shows_each_pictures_empty_state(client):
    drawn = figures(client.get("/").content.decode())
    assert {kind: data["count"] for kind, data in drawn.items()} == {
        "mood": 0,
        "circumplex": 0,
        "threads": 0,
        "replays": 0,
        "resurfaced": 0,
    }
    assert "No moments yet" in drawn["mood"]["html"]
    assert "No continuity threads yet" in drawn["threads"]["html"]


@pytest.mark.django_db
def test_the_pictures_draw_only_the_latest_moments_and_say_so(client, monkeypatch):
    monkeypatch.setattr(plot_data, "PLOT_MOMENTS", 5)
    made = [make_moment(with_sigil=False) for _ in range(8)]
    drawn = figures(client.get("/").content.decode())
    assert drawn["mood"]["marks"] == drawn["circumplex"]["marks"] == 5
    assert "The last 5 moments" in drawn["mood"]["html"]
    hrefs = re.findall(r'href="/moments/(\d+)/"', drawn["circumplex"]["html"])
    assert sorted(map(int, hrefs)) == [m.pk for m in made[-5:]]


@pytest.mark.django_db
def test_the_pictures_read_a_fixed_number_of_queries_however_many_moments(client):
    def pictures_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            render(
                "{% recent_moments as recent %}{% mood_plot recent %}"
                "{% circumplex_plot recent %}{% thread_timeline %}"
            )
        return len(queries)

    make_moment(with_sigil=False)
    make_review(1, threads=[snapshot("a", "new")])
    few = pictures_queries()
    for sequence in range(2, 6):
        make_moment(with_sigil=False)
        make_review(sequence, threads=[snapshot("a", "recurring"), snapshot(f"b{sequence}", "new")])
    assert pictures_queries() == few


@pytest.mark.django_db
def test_the_mood_plot_marks_the_dreams_written_among_the_moments(client):
    start = timezone.now() - timedelta(hours=2)
    for minutes in (0, 30, 60, 90):
        make_moment(with_sigil=False, created_at=start + timedelta(minutes=minutes))
    review = make_review(7, at=start + timedelta(minutes=45))
    make_review(8, at=start - timedelta(days=3))  # before the moments drawn
    html = render("{% recent_moments as recent %}{% mood_plot recent %}")
    assert html.count('class="dream-mark"') == 1
    assert f'href="/dreams/{review.pk}/"' in html


@pytest.mark.django_db
def test_the_timeline_follows_each_thread_through_the_reviews_that_name_it():
    make_review(1, threads=[snapshot("The harbour", "new"), snapshot("A door", "new")])
    make_review(2, threads=[snapshot("The harbour", "recurring")])
    make_review(3, threads=[snapshot("Rain", "new")])
    make_review(4, threads=[snapshot("The harbour", "resurfaced")])
    for key, name, status, seen in (
        ("the-harbour", "The harbour", "resurfaced", 3),
        ("a-door", "A door", "faded", 1),
        ("rain", "Rain", "new", 1),
    ):
        ContinuityThread.objects.create(
            key=key,
            name=name,
            status=status,
            first_seen_at=T0,
            last_seen_at=T0,
            times_seen=seen,
            last_seen_sequence=1,
        )
    data = plot_data.thread_timeline_data()
    assert [d.sequence for d in data.dreams] == [1, 2, 3, 4]
    by_name = {r.name: r for r in data.rows}
    assert [r.name for r in data.rows] == ["A door", "The harbour", "Rain"]
    assert [(a.sequence, a.status) for a in by_name["The harbour"].appearances] == [
        (1, "new"),
        (2, "recurring"),
        (4, "resurfaced"),
    ]
    assert by_name["A door"].status == "faded"
    drawn = figures(render("{% thread_timeline %}"))["threads"]
    assert drawn["count"] == drawn["marks"] == 5


@pytest.mark.django_db
def test_a_dreams_timeline_shows_its_own_threads_around_it_with_it_highlighted():
    make_review(1, threads=[snapshot("The harbour", "new"), snapshot("Elsewhere", "new")])
    middle = make_review(2, threads=[snapshot("The harbour", "recurring")])
    make_review(3, threads=[snapshot("The harbour", "recurring")])
    drawn = figures(render("{% thread_timeline review=review %}", review=middle))["threads"]
    assert drawn["marks"] == 3
    assert len(with_class(drawn["svg"], "timeline-row")) == 1
    assert len(with_class(drawn["svg"], "highlight")) == 1
    assert "dreams 1 to 3" in drawn["html"]


@pytest.mark.django_db
def test_a_dreams_theme_moments_are_drawn_on_the_circumplex():
    cited = [make_moment(with_sigil=False, valence=0.9, arousal=0.9) for _ in range(3)]
    review = make_review(
        1, themes=[{"name": "t", "summary": "s", "moment_ids": [m.pk for m in cited]}]
    )
    drawn = figures(render("{% theme_circumplex review %}", review=review))["circumplex"]
    assert drawn["count"] == drawn["marks"] == 3
    assert "the 3 moments this dream&#x27;s themes cite" in drawn["html"]


@pytest.mark.django_db
def test_a_moments_reading_is_drawn_on_the_small_circumplex():
    moment = make_moment(with_sigil=False, valence=0.7, arousal=-0.5, colour="#336699")
    drawn = figures(render("{% reading_plot moment %}", moment=moment))["circumplex"]
    assert drawn["count"] == drawn["marks"] == 1
    assert "plot-small" in render("{% reading_plot moment %}", moment=moment)
    (circle,) = [el for el in drawn["svg"].iter(f"{SVG}circle") if el.get("class") == "dot"]
    assert circle.get("fill") == "#336699"


def test_dreams_at_nearly_the_same_time_keep_their_marks_but_not_overprinted_numbers():
    close = [DreamMark(T0 + timedelta(minutes=5), seq, f"Dream {seq}") for seq in (1, 2)]
    root = parse(mood_plot(points(5), dreams=close, covers="these").svg)
    dream_marks = with_class(root, "dream-mark")
    assert len(dream_marks) == 2
    assert [m.find(f"{SVG}text") is not None for m in dream_marks] == [True, False]


# The pictures in the pages


@pytest.mark.django_db
def test_the_history_draws_the_moments_it_shows(client):
    for index in range(5):
        make_moment(with_sigil=False, valence=index / 5, arousal=0.5)
    html = client.get("/moments/?valence_min=0.3").content.decode()
    shown = html.count('class="moment-card history-card"')
    assert shown == 3
    pictures = html.split('<section class="history-pictures"')[1].split("</section>")[0]
    drawn = figures(pictures)
    assert drawn["mood"]["count"] == drawn["mood"]["marks"] == shown
    assert drawn["circumplex"]["count"] == drawn["circumplex"]["marks"] == shown
    assert "The 3 moments shown" in drawn["mood"]["html"]


@pytest.mark.django_db
def test_a_moment_page_places_its_reading_on_the_small_circumplex(client):
    moment = make_moment(with_sigil=False, valence=-0.7, arousal=-0.4, colour="#445566")
    html = client.get(f"/moments/{moment.pk}/").content.decode()
    reading = html.split('<div class="moment-reading"')[1]
    drawn = figures(reading)["circumplex"]
    assert drawn["count"] == drawn["marks"] == 1
    (dot,) = marks(drawn["svg"])
    circle = dot.find(f"{SVG}circle")
    assert float(circle.get("cx")) < circumplex.x(0.0) and float(circle.get("cy")) > circumplex.y(
        0.0
    )
    assert circle.get("fill") == "#445566"


@pytest.mark.django_db
def test_a_dream_page_draws_its_threads_and_the_moments_its_themes_cite(client):
    cited = [make_moment(with_sigil=False) for _ in range(4)]
    make_review(1, threads=[snapshot("The harbour", "new")])
    review = make_review(
        2,
        threads=[snapshot("The harbour", "recurring"), snapshot("Rain", "new")],
        themes=[
            {"name": "a", "summary": "s", "moment_ids": [m.pk for m in cited[:3]]},
            {"name": "b", "summary": "s", "moment_ids": [cited[2].pk, cited[3].pk, 999_999]},
        ],
    )
    html = client.get(f"/dreams/{review.pk}/").content.decode()
    # The timeline sits under the threads' own heading, without a title of its own.
    section = html.split('<section class="dream-section dream-threads"')[1].split("</section>")[0]
    threads_drawn = figures(section)["threads"]
    assert threads_drawn["count"] == threads_drawn["marks"] == 3
    assert len(with_class(threads_drawn["svg"], "timeline-row")) == 2
    assert "plot-title" not in threads_drawn["html"]
    assert html.count(">Continuity threads<") == 1  # one visible title: the heading
    drawn = figures(html.split('<section class="dream-pictures"')[1].split("</section>")[0])
    # Each cited moment that is still kept, once, however many themes cite it.
    assert drawn["circumplex"]["count"] == drawn["circumplex"]["marks"] == 4
