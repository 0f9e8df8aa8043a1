"""`manage.py bench_fanout`: observers over real sockets, delay and loss, against the targets
(the work is in benchmarks.fanout)."""

from argparse import ArgumentParser, ArgumentTypeError

from django.core.management.base import BaseCommand, CommandError

from benchmarks.fanout import DEFAULT_REDIS_URL, MODES, PROTOCOLS, SERVERS, BenchOptions
from benchmarks.fanout_compare import run_comparison
from benchmarks.uvicorn_serve import uvicorn_missing


class Command(BaseCommand):
    help = (
        "Start the servers (embedded, or two web processes and a conductor over Redis), "
        "connect N observers (native or socket.io) from separate processes, broadcast one "
        "dream per 1/rate s, and print delay percentiles, lost and out-of-order events, memory "
        "per observer and the targets; several sizes and protocols side by side. Exit 1 when "
        "an event was lost, reordered or skipped."
    )
    # It runs servers of its own over scratch databases: the site's checks add nothing.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--observers",
            type=_positive_ints,
            required=True,
            help="How many observers; several sizes separated by commas (1000,5000).",
        )
        parser.add_argument(
            "--protocols",
            type=_protocols,
            default=("native",),
            help="native (/ws/observe/), socketio (/socket.io/, Engine.IO v4 over WebSocket), "
            "or both separated by commas, measured in turn in the same run with the "
            "socket.io/native ratio and the source system's figures beside them.",
        )
        parser.add_argument(
            "--rounds", type=int, default=1, help="Measure every size and protocol this often."
        )
        parser.add_argument("--rate", type=float, default=1.0, help="Dreams per second.")
        parser.add_argument("--seconds", type=float, default=30.0, help="Measured window.")
        parser.add_argument("--mode", choices=MODES, default="embedded")
        parser.add_argument(
            "--server",
            choices=SERVERS,
            default="daphne",
            help="daphne (`manage.py serve`, the product's) or uvicorn with its websockets "
            "implementation (benchmarks/uvicorn_serve.py; observers on the ASGI path).",
        )
        parser.add_argument(
            "--client-processes",
            type=int,
            default=None,
            help="Processes the observers are spread over (default: one per 2,500, 1-4).",
        )
        parser.add_argument(
            "--redis-url",
            default=None,
            help="Redis for --mode redis; default: a private redis-server when installed, "
            f"else {DEFAULT_REDIS_URL} (with a prefix of the run's own).",
        )
        parser.add_argument(
            "--postgres-url",
            default=None,
            help="A PostgreSQL server to make a throwaway database on (default: SQLite).",
        )
        parser.add_argument(
            "--baseline-observers",
            type=int,
            default=1_000,
            help="Observers for the plain group_send baseline (0 to skip).",
        )

    def handle(self, *args: object, **options: object) -> None:
        sizes: list[int] = options["observers"]  # type: ignore[assignment]
        rounds = int(options["rounds"])  # type: ignore[call-overload]
        if float(options["rate"]) <= 0 or float(options["seconds"]) <= 0 or rounds < 1:  # type: ignore[arg-type]
            raise CommandError("--rate, --seconds and --rounds must be positive.")
        if options["server"] == "uvicorn" and (missing := uvicorn_missing()):
            raise CommandError(missing)
        # Default: one client process per 2,500 observers of the largest size, 1-4.
        clients = options["client_processes"] or min(4, max(1, -(-max(sizes) // 2_500)))
        comparison = run_comparison(
            BenchOptions(
                observers=sizes[0],
                rate=float(options["rate"]),  # type: ignore[arg-type]
                seconds=float(options["seconds"]),  # type: ignore[arg-type]
                mode=str(options["mode"]),
                server=str(options["server"]),
                client_processes=int(clients),  # type: ignore[call-overload]
                redis_url=options["redis_url"] or None,  # type: ignore[arg-type]
                postgres_url=options["postgres_url"] or None,  # type: ignore[arg-type]
                baseline_observers=int(options["baseline_observers"]),  # type: ignore[call-overload]
            ),
            sizes=sizes,
            protocols=options["protocols"],  # type: ignore[arg-type]
            rounds=rounds,
            progress=lambda step: self.stderr.write(f"... {step}"),
        )
        comparison.write(self.stdout)  # type: ignore[arg-type]  # a TextIOBase
        if not comparison.correct:
            raise SystemExit(1)


def _positive_ints(value: str) -> list[int]:
    try:
        sizes = [int(size) for size in value.split(",")]
    except ValueError as error:
        raise ArgumentTypeError("whole numbers separated by commas") from error
    if min(sizes) < 1:
        raise ArgumentTypeError("every size must be positive")
    return sizes


def _protocols(value: str) -> tuple[str, ...]:
    protocols = tuple(dict.fromkeys(value.split(",")))
    if unknown := set(protocols) - set(PROTOCOLS):
        raise ArgumentTypeError(f"unknown {', '.join(sorted(unknown))}; one of {PROTOCOLS}")
    return protocols
