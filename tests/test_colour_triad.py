"""Moments carry the source system's colour triad (`primary`, `secondary`, `accent`),
derived from their reading: in the API, the `sigil` and `mindMoment` events and the moment
page."""

import re

import pytest

from dreams.emotion import circumplex_colour, circumplex_triad
from dreams.realtime.events import MindMomentAnnounced, Sigil
from tests.factories import make_moment

HEX = re.compile(r"^#[0-9a-f]{6}$")
READINGS = [(v / 4, a / 4) for v in range(-4, 5) for a in range(-4, 5)]


def luminance(colour: str) -> float:
    """WCAG relative luminance of #rrggbb."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(one: str, other: str) -> float:
    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize(("valence", "arousal"), READINGS)
def test_every_reading_has_a_triad_whose_accent_reads_on_its_ground(valence, arousal):
    triad = circumplex_triad(valence, arousal)
    assert all(HEX.match(colour) for colour in vars(triad).values())
    assert triad.primary == circumplex_colour(valence, arousal)
    # Lines in the accent stay legible on a ground of the secondary (WCAG AA for text).
    assert contrast(triad.accent, triad.secondary) >= 4.5
    assert triad == circumplex_triad(valence, arousal)


def test_opposite_feelings_get_different_triads_and_the_centre_is_grey():
    joy, gloom = circumplex_triad(0.8, 0.6), circumplex_triad(-0.8, -0.6)
    assert joy.secondary != gloom.secondary and joy.accent != gloom.accent
    for colour in vars(circumplex_triad(0, 0)).values():
        r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
        assert max(r, g, b) - min(r, g, b) < 48, colour  # nearly grey


@pytest.mark.django_db
def test_the_api_and_the_events_carry_the_triad_of_the_reading(client):
    moment = make_moment(valence=0.7, arousal=-0.3)
    expected = vars(circumplex_triad(0.7, -0.3))
    assert client.get(f"/api/moments/{moment.pk}/").json()["color"] == expected
    listed = client.get("/api/moments/").json()["results"][0]
    assert listed["color"] == expected
    assert MindMomentAnnounced.of(moment, is_dream=False).wire()["color"] == expected
    assert Sigil.of(moment, is_dream=True).wire()["color"] == expected


@pytest.mark.django_db
def test_the_moment_page_shows_the_three_colours(client):
    moment = make_moment(valence=-0.5, arousal=0.5)
    html = client.get(f"/moments/{moment.pk}/").content.decode()
    for role, colour in vars(circumplex_triad(-0.5, 0.5)).items():
        assert f'data-role="{role}"' in html
        assert f"background-color: {colour}" in html
