"""`manage.py serve`: the web server and the conductor in one process (the embedded setup)."""

import asyncio
import errno
import socket
from argparse import ArgumentParser
from typing import TYPE_CHECKING, cast

from django.core.management.base import CommandError

from dreams.models import DreamSettings
from dreamsite.commands import ProductCommand

if TYPE_CHECKING:
    from twisted.internet.asyncioreactor import AsyncioSelectorReactor


def busy_port_copy(host: str, port: int) -> str:
    return (
        f"Port {port} on {host} is already in use (another server, or an earlier `make run` "
        f"still running). Stop it, or pick another port: `make run PORT={port + 10}` "
        f"(or `python manage.py serve --port {port + 10}`)."
    )


def refuse_a_busy_port(host: str, port: int) -> None:
    """Fail before serving when the port is taken: daphne would log the error and exit 0,
    and `make run` would look as if it worked."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise CommandError(busy_port_copy(host, port)) from None
            raise CommandError(f"Cannot serve on {host}:{port}: {error.strerror}.") from None


class Command(ProductCommand):
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
        refuse_a_busy_port(host, port)
        setup_complete = DreamSettings.load().setup_complete
        # daphne.server installs Twisted's asyncio reactor on import: import it first.
        from daphne.server import Server
        from twisted.internet import defer, reactor

        from dreams.conductor.runtime import conduct
        from dreams.consumers import sessions_end_for_shutdown
        from dreams.realtime import daphne_port
        from dreamsite.asgi import application

        stop = asyncio.Event()
        running: list[asyncio.Task] = []
        listening: list[bool] = []

        def start_conductor() -> None:
            # Before the reactor runs: observers may use daphne's connections directly,
            # and every connection gets bounded request bodies.
            daphne_port.install(server)
            listening.append(True)
            self.stdout.write(f"Serving on http://{host}:{port}/")
            if not setup_complete:
                self.stdout.write(
                    f"Next: log in as the admin and finish the setup wizard at "
                    f"http://{host}:{port}/setup/ (dreams wait for it)"
                )
            self.stdout.flush()
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

        # The reactor daphne installed (typed by its zope interface, whose methods lack self).
        cast("AsyncioSelectorReactor", reactor).addSystemEventTrigger(
            "before", "shutdown", stop_conductor
        )
        server = Server(
            application=application,
            endpoints=[f"tcp:port={port}:interface={host}"],
            ready_callable=start_conductor,
        )
        server.run()
        if not listening:  # taken between the check and daphne's own bind
            raise CommandError(busy_port_copy(host, port))
