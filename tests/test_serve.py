"""`manage.py serve` tells the truth about its start: a busy port is an error that names
the port and how to pick another, and "Serving on" is printed once it listens."""

import socket
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from tests.children import Children, child_env, free_port, manage
from tests.live import serving


def test_a_busy_port_exits_non_zero_naming_the_port(tmp_path: Path) -> None:
    env = child_env(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'dreams.sqlite3'}")
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        completed = subprocess.run(
            [sys.executable, "manage.py", "serve", "--port", str(port)],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert completed.returncode != 0
    assert f"Port {port} on 127.0.0.1 is already in use" in completed.stderr
    assert f"make run PORT={port + 10}" in completed.stderr
    assert "Serving on" not in completed.stdout
    assert "Traceback" not in completed.stderr


async def test_serving_on_is_said_once_the_port_listens(children: Children, tmp_path: Path):
    env = child_env(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'dreams.sqlite3'}")
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    port = free_port()
    server = children.start("serve", env, "serve", "--port", str(port))
    await serving(server, port)
    assert f"Serving on http://127.0.0.1:{port}/" in server.log()
