"""``manage.py bench_dream_pick``: the dream loop's pick against ``ORDER BY RANDOM()``, and
its uniformity, on SQLite and PostgreSQL (throwaway databases, never the site's own)."""

import time
from argparse import ArgumentParser, ArgumentTypeError
from collections.abc import Iterable

from django.core.management.base import BaseCommand, CommandError

from benchmarks.dream_pick import (
    DEFAULT_SIZES,
    GAP_STRETCH,
    TARGET_ANALYTICS_RATIO,
    TARGET_MEDIAN_MS,
    TARGET_P_VALUE,
    run_benchmark,
)
from benchmarks.management.backends import add_backend_arguments, backends_to_run


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(size) for size in text.split(","))
    except ValueError:
        raise ArgumentTypeError("sizes are whole numbers separated by commas") from None
    if min(sizes) < GAP_STRETCH:
        raise ArgumentTypeError(f"sizes are at least {GAP_STRETCH}")
    return sizes


class Command(BaseCommand):
    help = (
        "Time the dream loop's random pick (median and p99) beside ORDER BY RANDOM() LIMIT 1 "
        "at several table sizes, check with a chi-square test that it is uniform, and time "
        "each replay mode's pick and the dream tick with the resurfacing analytics on and off."
    )
    # It works on databases of its own: checks of the site's would only add noise.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--sizes",
            type=_sizes,
            default=DEFAULT_SIZES,
            help="Rows per table, comma-separated (default: 10000,100000,1000000).",
        )
        parser.add_argument("--picks", type=int, default=2000, help="Timed picks per size.")
        parser.add_argument(
            "--baseline-picks", type=int, default=5, help="Timed ORDER BY RANDOM() picks."
        )
        parser.add_argument(
            "--uniformity-picks", type=int, default=100_000, help="Picks for the chi-square."
        )
        add_backend_arguments(parser)
        parser.add_argument("--seed", type=int, default=0)

    def handle(
        self,
        *args: object,
        sizes: tuple[int, ...],
        picks: int,
        baseline_picks: int,
        uniformity_picks: int,
        backends: tuple[str, ...] | None,
        postgres_url: str,
        seed: int,
        **options: object,
    ) -> None:
        if min(picks, baseline_picks, uniformity_picks) < 1:
            raise CommandError("every number of picks must be at least 1")
        self.started = time.monotonic()
        reports = run_benchmark(
            backends=backends_to_run(backends, postgres_url, say=self.stdout.write),
            postgres_url=postgres_url,
            sizes=sizes,
            picks=picks,
            baseline_picks=baseline_picks,
            uniformity_picks=uniformity_picks,
            seed=seed,
            progress=self._progress,
        )
        self._table(
            f"\n{'backend':<12}{'rows':>11}{'median ms':>11}{'p99 ms':>9}"
            f"{'ORDER BY RANDOM() ms':>22}{'ratio':>9}  median <= {TARGET_MEDIAN_MS:g} ms",
            (
                f"{report.backend:<12}{timing.rows:>11,}{timing.median_ms:>11.3f}"
                f"{timing.p99_ms:>9.3f}{timing.baseline_median_ms:>22.3f}"
                f"{timing.speedup:>8.0f}x  {self._verdict(timing.passed)}"
                for report in reports
                for timing in report.timings
            ),
            "Tables lose about a tenth of their rows in runs, and one moment in twenty has "
            "no sigil.",
        )
        self._table(
            f"{'backend':<12}{'rows':>11}  {'replay mode':<12}{'median ms':>11}{'p99 ms':>9}"
            f"  median <= {TARGET_MEDIAN_MS:g} ms",
            (
                f"{report.backend:<12}{mode.rows:>11,}  {mode.mode:<12}{mode.median_ms:>11.3f}"
                f"{mode.p99_ms:>9.3f}  {self._verdict(mode.passed)}"
                for report in reports
                for mode in report.modes
            ),
            "Each mode is timed as the dream loop picks (Replayer.next); the theme selects about "
            "2% of the ids, the last dream cites 40 moments.",
        )
        self._table(
            f"{'backend':<12}{'rows':>11}{'tick ms':>10}{'+ analytics':>13}{'ratio':>8}"
            f"{'batch write ms':>17}  ratio <= {TARGET_ANALYTICS_RATIO:.2f}",
            (
                f"{report.backend:<12}{tick.rows:>11,}{tick.off_median_ms:>10.3f}"
                f"{tick.on_median_ms:>13.3f}{tick.ratio:>8.3f}"
                f"{tick.batch_write_ms:>17.1f}  {self._verdict(tick.passed)}"
                for report in reports
                for tick in report.ticks
            ),
            "A tick: the pick and the events it broadcasts, without and with the replay counted "
            "(medians of alternating ticks). The batch write (every 30 s, off the loop's path) "
            "holds the replays of 30 s at the default dream cycle.",
        )
        for report in reports:
            result = report.uniformity
            self.stdout.write(
                f"Uniformity on {report.backend}: {result.picks:,} picks over {result.moments:,} "
                f"moments with gaps: chi-square {result.statistic:.1f}, p = {result.p_value:.3f} "
                f"(target p > {TARGET_P_VALUE:g})  {self._verdict(result.passed)}"
            )

    def _table(self, header: str, lines: Iterable[str], note: str) -> None:
        self.stdout.write(header)
        for line in lines:
            self.stdout.write(line)
        self.stdout.write(f"{note}\n")

    def _progress(self, line: str) -> None:
        self.stdout.write(f"{time.monotonic() - self.started:6.1f} s  {line}")

    def _verdict(self, passed: bool) -> str:
        return self.style.SUCCESS("PASS") if passed else self.style.ERROR("MISS")
