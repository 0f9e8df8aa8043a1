"""``manage.py bench_sigils [--repeats N]``: sigil pipeline timings against their targets."""

from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError

from benchmarks.sigils import BASELINE_NAME, run_benchmark


class Command(BaseCommand):
    help = "Time parsing and rendering of a fixed 30-command sigil (median and p90, in ms)."
    # Pure computation without the database: system checks would only add noise.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--repeats", type=int, default=30)

    def handle(self, *args: object, repeats: int, **options: object) -> None:
        if repeats < 1:
            raise CommandError("--repeats must be at least 1")
        self.stdout.write(f"{'stage':<40}{'median ms':>11}{'p90 ms':>9}{'target':>9}  result")
        results = run_benchmark(repeats=repeats)
        for result in results:
            target = "-" if result.target_ms is None else f"{result.target_ms:g}"
            if result.passed is None:
                verdict = "-"
            elif result.passed:
                verdict = self.style.SUCCESS("PASS")
            else:
                verdict = self.style.ERROR("MISS")
            self.stdout.write(
                f"{result.name:<40}{result.median_ms:>11.2f}{result.p90_ms:>9.2f}"
                f"{target:>9}  {verdict}"
            )
        by_name = {result.name: result for result in results}
        ratio = by_name[BASELINE_NAME].median_ms / by_name["SDF 512"].median_ms
        self.stdout.write(f"SDF 512 is {ratio:.0f}x faster than the windowed brute-force baseline.")
