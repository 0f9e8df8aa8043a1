"""``manage.py bench_dream [--count N] [--baseline N] [--database-url URL]``: how long a dream
run over N moments takes with the offline engine, and its peak memory, against the target.
Runs in a scratch database: the operator's data is never touched."""

import json
from argparse import SUPPRESS, ArgumentParser

from django.core.management.base import BaseCommand, CommandError
from django.core.validators import MaxValueValidator

from benchmarks.dream_run import (
    BASELINE_COUNT,
    DEFAULT_COUNT,
    TARGET_S,
    BenchError,
    BenchReport,
    RunFigures,
    Step,
    bench_step,
    dream_bench,
)
from dreams.models import DreamSettings


def max_count() -> int:
    """The most moments one run may consolidate (DreamSettings.max_material's limit)."""
    field = DreamSettings._meta.get_field("max_material")
    return min(v.limit_value for v in field.validators if isinstance(v, MaxValueValidator))


class Command(BaseCommand):
    help = (
        f"Time one dream run over N new moments (default {DEFAULT_COUNT:,}) with the offline "
        f"engine in a scratch database, with a baseline run for scale; target < {TARGET_S:g} s."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--count",
            type=int,
            default=DEFAULT_COUNT,
            help=f"Moments in the measured run (default {DEFAULT_COUNT:,}).",
        )
        parser.add_argument(
            "--baseline",
            type=int,
            default=BASELINE_COUNT,
            help=f"Moments in the baseline run (default {BASELINE_COUNT:,}).",
        )
        parser.add_argument(
            "--database-url",
            help="Bench in this EMPTY database instead of a scratch SQLite file (for example "
            "a scratch PostgreSQL database); refused if it holds any mind moment.",
        )
        # One step of the benchmark, in a child process that dream_bench starts.
        parser.add_argument("--step", choices=list(Step), help=SUPPRESS)

    def handle(
        self,
        *args: object,
        count: int,
        baseline: int,
        database_url: str | None,
        step: str | None,
        **options: object,
    ) -> None:
        try:
            if step is not None:
                self.stdout.write(json.dumps(bench_step(Step(step), count=count)))
                return
            most = max_count()
            for name, value in (("--count", count), ("--baseline", baseline)):
                if not 1 <= value <= most:
                    raise CommandError(f"{name} must be between 1 and {most:,}.")
            self.stdout.write(
                f"Dreaming over {baseline:,} and then {count:,} seeded moments with the offline "
                "engine..."
            )
            report = dream_bench(count=count, baseline=baseline, database_url=database_url)
        except BenchError as error:
            raise CommandError(str(error)) from None
        self._print(report)

    def _print(self, report: BenchReport) -> None:
        where = "a scratch SQLite file" if report.database == "sqlite3" else report.database
        self.stdout.write(f"Database: {where}")
        self.stdout.write(
            f"{'moments':>8}  {'wall s':>7}  {'engine s':>8}  {'engine':>6}  "
            f"{'RSS before MB':>13}  {'peak RSS MB':>11}"
        )
        for figures in (report.baseline, report.measured):
            self.stdout.write(_row(figures))
        measured, base = report.measured, report.baseline
        verdict = self.style.SUCCESS("PASS") if report.passed else self.style.ERROR("MISS")
        self.stdout.write(
            f"{measured.moments:,} moments in {measured.wall_s:.2f} s (target < {TARGET_S:g} s): "
            f"{verdict}"
        )
        self.stdout.write(
            f"{measured.moments / base.moments:.0f}x the moments took {report.time_ratio:.1f}x "
            f"the time of the {base.moments:,}-moment baseline; the run's peak memory grew by "
            f"{measured.peak_rss_mb - measured.rss_before_mb:.0f} MB."
        )
        self.stdout.write(
            f"Loading the engine's libraries, once per process and not counted above, took "
            f"{measured.engine_load_s:.1f} s."
        )


def _row(figures: RunFigures) -> str:
    return (
        f"{figures.moments:>8,}  {figures.wall_s:>7.2f}  {figures.engine_s:>8.2f}  "
        f"{figures.engine_share:>6.0%}  {figures.rss_before_mb:>13.0f}  "
        f"{figures.peak_rss_mb:>11.0f}"
    )
