"""The embedded setup under uvicorn, for ``bench_fanout --server uvicorn``.

What ``manage.py serve`` does with daphne, with uvicorn's public API instead: the site
(``dreamsite.asgi:application``) and the conductor in one process, on one event loop, the
conductor started once the server listens and stopped before it closes the connections.
Observers use the hub's ASGI path here (no daphne port), so a run measures that path under
an asyncio-native server. Not part of the product: uvicorn is not a declared dependency.

    python -m benchmarks.uvicorn_serve --port 8001 [--no-conductor] [--ws websockets]

Run it from the project's directory (``-m``, so that ``dreamsite`` is importable).
"""

import argparse
import asyncio
import os
import socket
import sys

MISSING = "uvicorn is not installed here: pip install 'uvicorn[standard]' (benchmarks only)."


def uvicorn_missing() -> str | None:
    """The copy to show when uvicorn and its websockets implementation cannot be imported."""
    try:
        import uvicorn  # noqa: F401
        import websockets  # noqa: F401
    except ImportError:
        return MISSING
    return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--no-conductor", action="store_true")
    parser.add_argument(
        "--ws", default="websockets", help="uvicorn's WebSocket implementation (websockets)."
    )
    parser.add_argument("--http", default="httptools", help="h11 or httptools (httptools).")
    parser.add_argument("--loop", default="auto", help="asyncio, uvloop or auto (auto: uvloop).")
    args = parser.parse_args(argv)
    missing = uvicorn_missing()
    if missing:
        raise SystemExit(missing)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dreamsite.settings")
    import django

    django.setup()  # before anything imports models
    import uvicorn

    from dreams.conductor.runtime import conduct
    from dreams.consumers import sessions_end_for_shutdown
    from dreamsite.asgi import application

    stop = asyncio.Event()
    running: list[asyncio.Task] = []

    class ConductedServer(uvicorn.Server):
        """uvicorn's server with the conductor leading in the same process."""

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.should_exit:
                return
            print(f"Serving on http://{args.host}:{args.port}/ (uvicorn)", flush=True)
            if not args.no_conductor:
                running.append(asyncio.get_running_loop().create_task(conduct(stop, embedded=True)))

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            # As serve does: sessions hear that they end before their sockets go.
            await sessions_end_for_shutdown()
            stop.set()
            if running:
                await asyncio.wait(running, timeout=5)
            await super().shutdown(sockets)

    config = uvicorn.Config(
        application,
        host=args.host,
        port=args.port,
        ws=args.ws,
        http=args.http,
        loop=args.loop,
        lifespan="off",
        # Like daphne under serve: no compression (the bench's clients do not offer it).
        ws_per_message_deflate=False,
        log_level="warning",
        access_log=False,
    )
    ConductedServer(config).run()


if __name__ == "__main__":
    sys.exit(main())
