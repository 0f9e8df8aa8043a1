"""The --backends and --postgres-url options the benchmark commands share: which databases a
run times (SQLite, and PostgreSQL when it answers), checked before any work starts."""

from argparse import ArgumentParser, ArgumentTypeError
from collections.abc import Callable

from django.core.management.base import CommandError

from benchmarks.dream_pick import (
    BACKENDS,
    DEFAULT_POSTGRES_URL,
    postgres_location,
    postgres_reachable,
)


def _backends(text: str) -> tuple[str, ...]:
    backends = tuple(text.split(","))
    if unknown := set(backends) - BACKENDS.keys():
        raise ArgumentTypeError(f"unknown backend {sorted(unknown)}: choose from {list(BACKENDS)}")
    return backends


def add_backend_arguments(parser: ArgumentParser) -> None:
    parser.add_argument(
        "--backends",
        type=_backends,
        help="sqlite and/or postgresql, comma-separated (default: SQLite, and PostgreSQL "
        "if it is reachable; one named here must be).",
    )
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)


def backends_to_run(
    backends: tuple[str, ...] | None, postgres_url: str, *, say: Callable[[str], None]
) -> tuple[str, ...]:
    """The backends named, or by default every one that is reachable (`say` tells when
    PostgreSQL is not). A PostgreSQL named but unreachable is a CommandError."""
    if backends is not None and "postgresql" not in backends:
        return backends
    if postgres_reachable(postgres_url):
        return backends or tuple(BACKENDS)
    unreachable = f"PostgreSQL is not reachable at {postgres_location(postgres_url)}"
    if backends is not None:
        raise CommandError(unreachable)
    say(f"{unreachable}: SQLite only.")
    return ("sqlite",)
