"""``manage.py bench_pages``: the server time of the history of moments and of a moment's
page at a million moments, on SQLite and PostgreSQL (throwaway databases, never the site's
own)."""

import os
import time
from argparse import ArgumentParser, ArgumentTypeError

from django.core.management.base import BaseCommand, CommandError

from benchmarks.dream_pick import GAP_STRETCH
from benchmarks.management.backends import add_backend_arguments, backends_to_run
from benchmarks.pages import DEFAULT_REQUESTS, DEFAULT_ROWS, TARGET_MEDIAN_MS, run_benchmark


def _rows(text: str) -> int:
    try:
        rows = int(text.replace("_", ""))
    except ValueError:
        raise ArgumentTypeError("a whole number of moments") from None
    if rows < GAP_STRETCH:
        raise ArgumentTypeError(f"at least {GAP_STRETCH} moments")
    return rows


class Command(BaseCommand):
    help = (
        "Time the server side of the history page (newest, filtered, deep in the table, by "
        "text) and of a moment's page over a throwaway database of --rows moments: median "
        f"and p95 per page and backend, against a median under {TARGET_MEDIAN_MS:g} ms."
    )
    # It works on databases of its own: checks of the site's would only add noise.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--rows",
            type=_rows,
            default=DEFAULT_ROWS,
            help="Moments in the table (default: 1000000).",
        )
        parser.add_argument(
            "--requests",
            type=int,
            default=DEFAULT_REQUESTS,
            help="Timed requests per page (a twentieth of them for the text searches; a page "
            "slower than a minute in all stops after 10).",
        )
        add_backend_arguments(parser)
        parser.add_argument("--seed", type=int, default=0)

    def handle(
        self,
        *args: object,
        rows: int,
        requests: int,
        backends: tuple[str, ...] | None,
        postgres_url: str,
        seed: int,
        **options: object,
    ) -> None:
        if requests < 1:
            raise CommandError("--requests must be at least 1")
        self.started = time.monotonic()
        reports = run_benchmark(
            backends=backends_to_run(backends, postgres_url, say=self.stdout.write),
            postgres_url=postgres_url,
            rows=rows,
            requests=requests,
            seed=seed,
            progress=self._progress,
        )
        self.stdout.write(
            f"\n{'backend':<12}{'moments':>11}  {'page':<36}{'requests':>9}{'median ms':>11}"
            f"{'p95 ms':>9}  median < {TARGET_MEDIAN_MS:g} ms"
        )
        notes: dict[str, str] = {}
        for report in reports:
            for timing in report.timings:
                start = f"{report.backend:<12}{report.rows:>11,}  {timing.name:<36}"
                if timing.missing:
                    self.stdout.write(f"{start}{'':>29}  {self._verdict(False)} {timing.note}")
                    continue
                verdict = (
                    self.style.NOTICE("(reported)")
                    if timing.separate
                    else self._verdict(timing.passed)
                )
                self.stdout.write(
                    f"{start}{timing.requests:>9}{timing.median_ms:>11.1f}"
                    f"{timing.p95_ms:>9.1f}  {verdict}"
                )
                if timing.note and timing.separate:
                    notes[timing.name] = timing.note
        self.stdout.write(
            "\nServer side only: Django's test client through the middleware, view, queries "
            "and template; no network, no connection set-up, no sigil images (each <img> is "
            "a request of its own, cached for a year)."
        )
        self.stdout.write(
            "Text searches are reported beside the target, not against it: a substring "
            "match (icontains) uses no index, so its cost grows with how far down the table "
            "a page of matches lies."
        )
        for name, note in notes.items():
            self.stdout.write(f"  {name}: {note}")
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        self.stdout.write(
            f"Load average at the end: {load} on {os.cpu_count()} CPUs (other work on the "
            "machine lengthens every figure)."
        )

    def _progress(self, line: str) -> None:
        self.stdout.write(f"{time.monotonic() - self.started:6.1f} s  {line}")

    def _verdict(self, passed: bool) -> str:
        return self.style.SUCCESS("PASS") if passed else self.style.ERROR("FAIL")
