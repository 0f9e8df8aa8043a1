"""`manage.py serve`: the web server and the conductor in one process (the embedded setup)."""

import asyncio
from argparse import ArgumentParser

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the site (HTTP and WebSockets) with the conductor running in the same process."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--no-conductor",
            action="store_true",
            help="Serve only; conductors run separately (manage.py run_conductor).",
        )

    def handle(
        self, *args: object, host: str, port: int, no_conductor: bool, **options: object
    ) -> None:
        # daphne.server installs Twisted's asyncio reactor on import: import it first.
        from daphne.server import Server
        from twisted.internet import defer, reactor

        from dreams.conductor.runtime import conduct
        from dreams.consumers import sessions_end_for_shutdown
        from dreamsite.asgi import application

        stop = asyncio.Event()
        running: list[asyncio.Task] = []

        def start_conductor() -> None:
            if not no_conductor:
                running.append(asyncio.get_event_loop().create_task(conduct(stop, embedded=True)))

        async def shut_down() -> None:
            # Perceptors hear that their session ends before their sockets go.
            await sessions_end_for_shutdown()
            stop.set()
            if running:
                await asyncio.wait(running, timeout=5)

        def stop_conductor() -> defer.Deferred:
            return defer.Deferred.fromFuture(asyncio.ensure_future(shut_down()))

        reactor.addSystemEventTrigger("before", "shutdown", stop_conductor)
        self.stdout.write(f"Serving on http://{host}:{port}/")
        Server(
            application=application,
            endpoints=[f"tcp:port={port}:interface={host}"],
            ready_callable=start_conductor,
        ).run()
