"""With REDIS_URL set, the write throttle and the session frame rate are counted in Redis:
two web processes together allow the rate once, not twice."""

import secrets

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.children import Children, child_env, free_port, manage
from tests.live import Socket, serving
from tests.redis_lock import redis_url, require_redis
from tests.settings import SESSION_TOKEN

pytestmark = [pytest.mark.redis, pytest.mark.slow]

CONTROL_TOKEN = "throttle-test-control-token"


@pytest.fixture
async def two_web_processes(children: Children, tmp_path):
    require_redis()
    env = child_env(
        tmp_path,
        DATABASE_URL=f"sqlite:///{tmp_path / 'throttles.sqlite3'}",
        REDIS_URL=redis_url(),
        DREAMS_REDIS_PREFIX=f"dreams:test-throttles:{secrets.token_hex(4)}",
        DREAMS_CONTROL_TOKEN=CONTROL_TOKEN,
        DREAMS_CONTROL_RATE="3/min",
        DREAMS_SESSION_FRAMES_PER_MINUTE="4",
    )
    manage(env, "migrate", "--noinput", "-v0")
    ports = [free_port(), free_port()]
    for index, port in enumerate(ports):
        server = children.start(f"web-{index}", env, "serve", "--port", str(port), "--no-conductor")
        await serving(server, port)
    return ports


async def test_the_write_throttle_holds_across_web_processes(two_web_processes):
    headers = {"Authorization": f"Bearer {CONTROL_TOKEN}"}
    statuses = []
    async with httpx.AsyncClient(headers=headers) as client:
        for attempt in range(6):
            port = two_web_processes[attempt % 2]
            response = await client.post(f"http://127.0.0.1:{port}/api/dream/runs/", json={})
            statuses.append(response.status_code)
    assert 429 not in statuses[:3]
    assert statuses[3:] == [429, 429, 429]


async def test_the_session_frame_rate_holds_across_web_processes(two_web_processes):
    sockets = []
    for port in two_web_processes:
        connection = await connect(
            f"ws://127.0.0.1:{port}/ws/session/?token={SESSION_TOKEN}",
            origin=f"http://127.0.0.1:{port}",
        )
        sockets.append(Socket(connection))
    replies = []
    for attempt in range(6):
        socket = sockets[attempt % 2]
        replies.append(await socket.send("startSession" if attempt < 2 else "endSession"))
    for socket in sockets:
        await socket.connection.close()
    rate_limited = [reply["data"].get("reason") == "rate_limited" for reply in replies]
    assert rate_limited == [False] * 4 + [True] * 2
