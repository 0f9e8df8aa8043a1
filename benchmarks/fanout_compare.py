"""Several sizes under both protocols in one run of ``manage.py bench_fanout``: each size
and protocol on servers of its own (``benchmarks.fanout.run_bench``), the protocols taking
turns within each round so that the machine's load falls on both alike, then one table side
by side with the socket.io/native ratio, beside the source system's figures.

The source system's figures are the issue's (#14): socket.io on Node, measured by the
issue's author with one client harness for both products, one dream per second, 30 s
windows, three rounds. They are printed as a reference, never as this run's.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TextIO

from benchmarks.fanout import PROTOCOL_NAMES, BenchOptions, Report, run_bench

# (observers, lowest p99 ms, highest p99 ms) over the three rounds.
SOURCE_SYSTEM_P99_MS = ((1_000, 31, 41), (5_000, 116, 175), (10_000, 267, 349))
SOURCE_SYSTEM_KB_PER_OBSERVER = (18, 20)


@dataclass
class Comparison:
    reports: list[tuple[int, Report]]  # (round, report)

    @property
    def correct(self) -> bool:
        return all(report.correct for _, report in self.reports)

    def write(self, out: TextIO) -> None:
        for _, report in self.reports:
            report.write(out)
        if len(self.reports) > 1 or self.reports[0][1].options.protocol != "native":
            self._write_side_by_side(out)

    def _write_side_by_side(self, out: TextIO) -> None:
        first = self.reports[0][1].options
        rounds = max(round_ for round_, _ in self.reports)
        out.write(
            f"\nbench_fanout side by side: {first.mode} under {first.server}, one dream per "
            f"{1 / first.rate:g} s, {first.seconds:g} s windows, {rounds} round(s); p50/p99 "
            "of the dream (sigil) events\n"
        )
        out.write(
            f"  {'observers':>9}  {'round':>5}  {'protocol':<9}  {'p50 ms':>7}  {'p99 ms':>7}  "
            f"{'lost':>5}  {'dreams':>7}  {'KB/observer':>11}  {'server CPU':>10}  "
            "socket.io/native p99\n"
        )
        for round_, report in self.reports:
            o = report.options
            kb = " / ".join(f"{kb:.1f}" for kb in report.rss_per_observer_kb.values())
            cpu = " / ".join(f"{cpu:.0f}%" for cpu in report.server_cpu_percent.values())
            ratio = self._ratio(round_, report)
            dreams = f"{report.dreams}/{report.dreams_due}"
            out.write(
                f"  {o.observers:>9,}  {round_:>5}  {PROTOCOL_NAMES[o.protocol]:<9}  "
                f"{report.percentile(0.5):>7.1f}  {report.percentile(0.99):>7.1f}  "
                f"{report.lost:>5}  {dreams:>7}  {kb:>11}  {cpu:>10}  {ratio}\n"
            )
        if any(report.options.protocol == "socketio" for _, report in self.reports):
            low_kb, high_kb = SOURCE_SYSTEM_KB_PER_OBSERVER
            figures = ", ".join(
                f"{observers:,}: p99 {low}-{high} ms"
                for observers, low, high in SOURCE_SYSTEM_P99_MS
            )
            out.write(
                "  reference, NOT measured in this run: the source system (socket.io on Node), "
                f"as the issue's author measured it (one dream per second, 30 s windows, three "
                f"rounds): {figures}; about {low_kb}-{high_kb} KB per idle observer at 5,000 "
                "and more\n"
            )

    def _ratio(self, round_: int, report: Report) -> str:
        if report.options.protocol == "native":
            return ""
        native = next(
            (
                other
                for other_round, other in self.reports
                if other_round == round_
                and other.options.protocol == "native"
                and other.options.observers == report.options.observers
            ),
            None,
        )
        if native is None:
            return ""
        return f"{report.percentile(0.99) / max(native.percentile(0.99), 1e-3):.2f}x"


def run_comparison(
    base: BenchOptions,
    *,
    sizes: Sequence[int],
    protocols: Sequence[str],
    rounds: int = 1,
    progress: Callable[[str], None] = lambda _: None,
) -> Comparison:
    """Every size under every protocol, `rounds` times; the baselines (native encoding and
    plain group_send) once per size, in its first native run."""
    reports = []
    for observers in sizes:
        for round_ in range(1, rounds + 1):
            for protocol in protocols:
                options = replace(
                    base,
                    observers=observers,
                    protocol=protocol,
                    baseline_observers=(
                        base.baseline_observers if protocol == "native" and round_ == 1 else 0
                    ),
                )
                at = f"{observers:,} {PROTOCOL_NAMES[protocol]}, round {round_}"
                report = run_bench(options, progress=_labelled(progress, at))
                reports.append((round_, report))
    return Comparison(reports)


def _labelled(progress: Callable[[str], None], label: str) -> Callable[[str], None]:
    return lambda step: progress(f"{label}: {step}")
