"""A sigil image is served even when its cache cannot be written: the drawing is done, so
the request gets it (with its immutable caching headers) and the operator a warning."""

import io
import logging

import pytest
from PIL import Image

from dreams.services.sigil_images import SigilImageFormat, sigil_image_etag
from tests.factories import make_moment

pytestmark = pytest.mark.django_db

CACHE_LOGGER = "dreams.services.sigil_images"


def _served_png(client, moment_id: int) -> Image.Image:
    response = client.get(f"/api/moments/{moment_id}/sigil.png")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["ETag"]
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image


def _cache_warnings(caplog) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.name == CACHE_LOGGER and record.levelno == logging.WARNING
    ]


def test_image_is_served_with_one_warning_when_the_cache_directory_is_a_file(
    client, isolated_var_dir, caplog
):
    moment = make_moment()
    isolated_var_dir.mkdir(parents=True)
    # Every write under it fails with NotADirectoryError, for root too.
    (isolated_var_dir / "sigil-cache").write_text("not a directory")

    with caplog.at_level(logging.WARNING, logger=CACHE_LOGGER):
        image = _served_png(client, moment.pk)

    assert image.size == (512, 512)
    warnings = _cache_warnings(caplog)
    assert len(warnings) == 1
    assert "not cached" in warnings[0].getMessage()
    assert str(isolated_var_dir) not in warnings[0].getMessage()


def test_image_is_served_and_no_partial_file_is_left_when_the_cache_file_cannot_be_replaced(
    client, isolated_var_dir, caplog
):
    moment = make_moment()
    etag = sigil_image_etag(
        commands=moment.sigil_commands, image_format=SigilImageFormat.PNG, size=512
    )
    shard = isolated_var_dir / "sigil-cache" / etag[:2]
    # The image's own name is taken by a directory: the rename onto it fails after the
    # drawing was written beside it.
    (shard / f"{etag}.png").mkdir(parents=True)

    with caplog.at_level(logging.WARNING, logger=CACHE_LOGGER):
        first = _served_png(client, moment.pk)
        again = _served_png(client, moment.pk)

    assert first.tobytes() == again.tobytes()
    assert len(_cache_warnings(caplog)) == 2  # one per request that could not cache
    assert [path.name for path in shard.iterdir()] == [f"{etag}.png"]
