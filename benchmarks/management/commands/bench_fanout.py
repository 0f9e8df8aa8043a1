"""`manage.py bench_fanout`: observers over real sockets, delay and loss, against the targets
(the work is in benchmarks.fanout)."""

from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError

from benchmarks.fanout import DEFAULT_REDIS_URL, MODES, SERVERS, BenchOptions, run_bench
from benchmarks.uvicorn_serve import uvicorn_missing


class Command(BaseCommand):
    help = (
        "Start the servers (embedded, or two web processes and a conductor over Redis), "
        "connect N observers from separate processes, broadcast one dream per 1/rate s, and "
        "print delay percentiles, lost and out-of-order events, memory per observer and the "
        "targets. Exit 1 when an event was lost, reordered or skipped."
    )
    # It runs servers of its own over scratch databases: the site's checks add nothing.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--observers", type=int, required=True, help="How many observers.")
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
        observers = int(options["observers"])  # type: ignore[call-overload]
        if observers < 1 or float(options["rate"]) <= 0 or float(options["seconds"]) <= 0:  # type: ignore[arg-type]
            raise CommandError("--observers, --rate and --seconds must be positive.")
        if options["server"] == "uvicorn" and (missing := uvicorn_missing()):
            raise CommandError(missing)
        clients = options["client_processes"] or min(4, max(1, -(-observers // 2_500)))
        report = run_bench(
            BenchOptions(
                observers=observers,
                rate=float(options["rate"]),  # type: ignore[arg-type]
                seconds=float(options["seconds"]),  # type: ignore[arg-type]
                mode=str(options["mode"]),
                server=str(options["server"]),
                client_processes=int(clients),  # type: ignore[call-overload]
                redis_url=options["redis_url"] or None,  # type: ignore[arg-type]
                postgres_url=options["postgres_url"] or None,  # type: ignore[arg-type]
                baseline_observers=int(options["baseline_observers"]),  # type: ignore[call-overload]
            ),
            progress=lambda step: self.stderr.write(f"... {step}"),
        )
        report.write(self.stdout)
        if not report.correct:
            raise SystemExit(1)
