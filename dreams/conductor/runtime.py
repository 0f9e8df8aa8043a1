"""Running the conductor: beside the web server in one process, or on its own."""

import asyncio
import logging

from asgiref.sync import sync_to_async

from dreams.conductor.conductor import Conductor
from dreams.models import SessionEndReason
from dreams.services.sessions import sessions_close_all

logger = logging.getLogger(__name__)


async def close_sessions_of_a_previous_life() -> None:
    """In the embedded setup the sessions' sockets died with the last process."""
    closed = await sync_to_async(sessions_close_all)(reason=SessionEndReason.SERVER_RESTART)
    if closed:
        logger.info("Closed %d sessions left open by the previous server process.", closed)


async def conduct(stop: asyncio.Event, *, embedded: bool) -> None:
    if embedded:
        await close_sessions_of_a_previous_life()
    await Conductor().run(stop)
