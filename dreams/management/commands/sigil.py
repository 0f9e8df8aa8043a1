"""``manage.py sigil render FILE --format svg|png|sdf --out PATH [--size N]``."""

import sys
from argparse import ArgumentParser, ArgumentTypeError
from pathlib import Path
from typing import Literal

from django.core.management.base import CommandError

from dreams.sigils import SigilSyntaxError, parse_sigil, render_png, render_sdf, render_svg
from dreams.sigils.geometry import MAX_IMAGE_SIZE
from dreamsite.commands import ProductCommand

MIN_SIZE = 16
INVALID_CODE = 2


def _size(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not MIN_SIZE <= value <= MAX_IMAGE_SIZE:
        raise ArgumentTypeError(f"must be between {MIN_SIZE} and {MAX_IMAGE_SIZE}")
    return value


class Command(ProductCommand):
    help = "Work with sigil code: 'render' draws it as SVG, PNG or a signed distance field."
    # Pure computation without the database: system checks would only add noise.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        render = commands.add_parser(
            "render", help="Render sigil code (exit status 2 if the code is invalid)."
        )
        render.add_argument("file", metavar="FILE", help="sigil code, or - for stdin")
        render.add_argument("--format", choices=("svg", "png", "sdf"), required=True)
        render.add_argument("--out", required=True, help="output file, or - for stdout")
        render.add_argument(
            "--size",
            type=_size,
            help="pixels per side (default 512; 256 for sdf)",
        )

    def handle(
        self,
        *args: object,
        file: str,
        format: Literal["svg", "png", "sdf"],
        out: str,
        size: int | None,
        **options: object,
    ) -> None:
        source = self._read(file)
        try:
            commands = parse_sigil(source)
        except SigilSyntaxError as error:
            raise CommandError(str(error), returncode=INVALID_CODE) from None
        if format == "svg":
            data = render_svg(commands, **({"size": size} if size else {})).encode("utf-8")
        elif format == "png":
            data = render_png(commands, **({"size": size} if size else {}))
        else:
            data = render_sdf(commands, **({"size": size} if size else {}))
        self._write(out, data)

    def _read(self, name: str) -> str:
        try:
            raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        except OSError as error:
            raise CommandError(f"cannot read {name}: {error.strerror}") from None
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise CommandError(
                f"{name} is not UTF-8 text (byte {error.start})", returncode=INVALID_CODE
            ) from None

    def _write(self, name: str, data: bytes) -> None:
        if name == "-":
            # Images are bytes: bypass the text wrapper so nothing is re-encoded.
            self.stdout.flush()
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
            return
        try:
            Path(name).write_bytes(data)
        except OSError as error:
            raise CommandError(f"cannot write {name}: {error.strerror}") from None
