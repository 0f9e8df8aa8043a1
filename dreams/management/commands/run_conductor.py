"""`manage.py run_conductor`: a conductor process for the scaled setup.

Run two (or more) beside several web processes, over channels-redis and PostgreSQL: one
leads, the others stand by and take over within seconds when it dies.
"""

import asyncio
import signal

from django.conf import settings
from django.core.management.base import CommandError

from dreams.conductor.runtime import conduct
from dreamsite.commands import ProductCommand


class Command(ProductCommand):
    help = "Run a conductor (leader or standby) outside the web processes."

    def handle(self, *args: object, **options: object) -> None:
        if not settings.REDIS_URL:
            raise CommandError(
                "A separate conductor needs REDIS_URL, so web processes can reach it. "
                "For one process, use `manage.py serve`."
            )
        asyncio.run(self._run())

    async def _run(self) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await conduct(stop, embedded=False)
