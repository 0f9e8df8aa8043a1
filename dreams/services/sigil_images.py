"""Sigil images rendered lazily on first request and kept on disk.

A moment's sigil never changes, so an image is addressed by a hash of what it is drawn
from; that hash is also its ETag, and a second request reads the file instead of
rendering again.
"""

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from django.conf import settings

from dreams.sigils import render_png, render_sdf, render_svg

# Bump when a renderer's output changes, so cached files are not served for new code.
RENDERER_VERSION = "1"

logger = logging.getLogger(__name__)


class SigilImageFormat(StrEnum):
    SVG = "svg"
    PNG = "png"
    SDF = "sdf"


@dataclass(frozen=True)
class ImageFormatSpec:
    extension: str
    content_type: str
    default_size: int
    render: Callable[..., bytes | str]


FORMAT_SPECS: dict[SigilImageFormat, ImageFormatSpec] = {
    SigilImageFormat.SVG: ImageFormatSpec("svg", "image/svg+xml", 512, render_svg),
    SigilImageFormat.PNG: ImageFormatSpec("png", "image/png", 512, render_png),
    SigilImageFormat.SDF: ImageFormatSpec("png", "image/png", 256, render_sdf),
}
ALLOWED_SIZES = (64, 128, 256, 512, 1024)


@dataclass(frozen=True)
class SigilImage:
    content: bytes
    content_type: str
    etag: str


def sigil_image_etag(*, commands: list[list], image_format: SigilImageFormat, size: int) -> str:
    material = json.dumps([RENDERER_VERSION, image_format.value, size, commands])
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def _cache_path(etag: str, spec: ImageFormatSpec) -> Path:
    return Path(settings.VAR_DIR) / "sigil-cache" / etag[:2] / f"{etag}.{spec.extension}"


def sigil_image_get_or_render(
    *, commands: list[list], image_format: SigilImageFormat, size: int | None = None
) -> SigilImage:
    spec = FORMAT_SPECS[image_format]
    size = size or spec.default_size
    etag = sigil_image_etag(commands=commands, image_format=image_format, size=size)
    path = _cache_path(etag, spec)
    try:
        return SigilImage(path.read_bytes(), spec.content_type, etag)
    except OSError:
        pass  # not cached yet (or the cache is unusable: the write below says so)
    rendered = spec.render(commands, size=size)
    content = rendered.encode() if isinstance(rendered, str) else rendered
    try:
        _cache_write(path, content)
    except OSError as error:
        # The image is drawn: serve it. Only the next request pays for drawing it again.
        logger.warning(
            "Sigil image not cached (%s): served without the cache. Free space on the var "
            "directory's disk, or make its sigil-cache a writable directory.",
            error.strerror or type(error).__name__,
        )
    return SigilImage(content, spec.content_type, etag)


def _cache_write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write beside the target and rename, so a concurrent reader never sees half a file.
    fd, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        Path(temporary).replace(path)
    except OSError:
        Path(temporary).unlink(missing_ok=True)
        raise
