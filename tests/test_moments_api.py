import io
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

from dreams.models import MomentKind
from tests.factories import make_moment

pytestmark = pytest.mark.django_db


def test_list_pages_through_every_moment_newest_cycle_first(client):
    for cycle in range(1, 8):
        make_moment(cycle=cycle)
    seen, url = [], "/api/moments/?page_size=3"
    while url:
        page = client.get(url).json()
        seen += [item["cycle"] for item in page["results"]]
        url = page["next"]
    assert seen == [7, 6, 5, 4, 3, 2, 1]


def test_list_filters_by_kind_sigil_and_circumplex(client):
    make_moment(cycle=1, kind=MomentKind.DREAM, valence=0.8, arousal=-0.5)
    make_moment(cycle=2, kind=MomentKind.LIVE, valence=-0.8, arousal=0.5)
    make_moment(cycle=3, kind=MomentKind.LIVE, with_sigil=False, valence=0.2)

    def cycles(query: str) -> list[int]:
        response = client.get(f"/api/moments/?{query}")
        assert response.status_code == 200, response.content
        return sorted(item["cycle"] for item in response.json()["results"])

    assert cycles("kind=dream") == [1]
    assert cycles("has_sigil=false") == [3]
    assert cycles("valence_min=0") == [1, 3]
    assert cycles("valence_max=0&arousal_min=0.4") == [2]


def test_list_filters_by_time_window_and_text(client):
    now = timezone.now()
    make_moment(cycle=1, created_at=now - timedelta(days=3), text="the lantern flickers")
    make_moment(cycle=2, created_at=now - timedelta(hours=1), sigil_phrase="lantern path")
    make_moment(cycle=3, created_at=now, text="the sea")
    since = (now - timedelta(days=1)).isoformat()
    until = (now - timedelta(minutes=1)).isoformat()
    response = client.get("/api/moments/", {"since": since, "until": until})
    assert [item["cycle"] for item in response.json()["results"]] == [2]
    response = client.get("/api/moments/", {"q": "LANTERN"})
    assert sorted(item["cycle"] for item in response.json()["results"]) == [1, 2]


def test_a_time_with_an_offset_the_database_cannot_hold_is_compared_in_utc(client):
    # PostgreSQL refuses offsets beyond 15:59; Python and ISO 8601 allow them.
    now = timezone.now()
    make_moment(cycle=1, created_at=now - timedelta(days=2))
    until = (now - timedelta(days=1)).astimezone(timezone.get_fixed_timezone(-(16 * 60 + 13)))
    response = client.get("/api/moments/", {"until": until.isoformat()})
    assert response.status_code == 200
    assert [item["cycle"] for item in response.json()["results"]] == [1]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("kind=nightmare", "kind"),
        ("since=yesterday", "since"),
        ("valence_min=2", "valence_min"),
        ("arousal_max=abc", "arousal_max"),
        ("has_sigil=perhaps", "has_sigil"),
        ("q=" + "x" * 201, "q"),
    ],
)
def test_invalid_filter_values_get_400_naming_the_field(client, query, field):
    response = client.get(f"/api/moments/?{query}")
    assert response.status_code == 400
    assert field in response.json()


def test_detail_shows_the_moment_with_image_urls(client):
    earlier = make_moment(cycle=1)
    moment = make_moment(cycle=2, valence=0.5, arousal=0.25)
    moment.prior_moments.add(earlier)
    body = client.get(f"/api/moments/{moment.pk}/").json()
    assert body["cycle"] == 2
    assert body["prior_moment_ids"] == [earlier.pk]
    assert body["sigil_commands"] == moment.sigil_commands
    assert body["images"] == {
        "svg": f"/api/moments/{moment.pk}/sigil.svg",
        "png": f"/api/moments/{moment.pk}/sigil.png",
        "sdf": f"/api/moments/{moment.pk}/sdf.png",
    }


def test_moment_without_sigil_has_no_images(client):
    moment = make_moment(with_sigil=False)
    assert client.get(f"/api/moments/{moment.pk}/").json()["images"] is None
    assert client.get(f"/api/moments/{moment.pk}/sigil.png").status_code == 404


def test_unknown_or_huge_ids_are_not_found(client):
    assert client.get("/api/moments/424242/").status_code == 404
    assert client.get("/api/moments/99999999999999999999999/").status_code == 404
    assert client.get("/api/moments/424242/sigil.svg").status_code == 404


@pytest.mark.parametrize(
    ("suffix", "content_type", "mode", "size"),
    [
        ("sigil.png", "image/png", "LA", 512),
        ("sdf.png", "image/png", "L", 256),
        ("sigil.png?size=128", "image/png", "LA", 128),
    ],
)
def test_raster_images_are_served_with_immutable_caching(client, suffix, content_type, mode, size):
    moment = make_moment()
    response = client.get(f"/api/moments/{moment.pk}/{suffix}")
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    image = Image.open(io.BytesIO(response.content))
    assert (image.mode, image.size) == (mode, (size, size))


def test_svg_is_served_and_revalidates_with_its_etag(client):
    moment = make_moment()
    first = client.get(f"/api/moments/{moment.pk}/sigil.svg")
    assert first["Content-Type"] == "image/svg+xml"
    assert first.content.startswith(b"<svg") or b"<svg" in first.content[:200]
    again = client.get(f"/api/moments/{moment.pk}/sigil.svg", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again["ETag"] == first["ETag"]


def test_images_are_rendered_once_then_read_from_the_cache(client, isolated_var_dir):
    moment = make_moment()
    client.get(f"/api/moments/{moment.pk}/sigil.png")
    cached = list((isolated_var_dir / "sigil-cache").rglob("*.png"))
    assert len(cached) == 1
    cached[0].write_bytes(b"cached-bytes")
    assert client.get(f"/api/moments/{moment.pk}/sigil.png").content == b"cached-bytes"


def test_unsupported_image_size_is_a_400(client):
    moment = make_moment()
    response = client.get(f"/api/moments/{moment.pk}/sigil.png?size=100000")
    assert response.status_code == 400
    assert "size" in response.json()
