"""Names for the processes that hold leases (the conductor's, a dream run's), and whether
the process behind such a name is gone. Pure: no Django."""

import os
import secrets
import socket

HOLDER_MAX_LENGTH = 120  # the holder columns' width; holder_name() always fits


def holder_name() -> str:
    """`host:pid:random`. Host and pid say where to look; the random part keeps two
    containers that share a hostname and a pid (often 1) from taking each other's lease
    for their own."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{secrets.token_hex(4)}"


def holder_is_dead_here(holder: str) -> bool:
    """True when `holder` names a process of this host that no longer runs. A holder of
    another host, or one this process cannot judge, is never presumed dead here: its lease
    runs out instead."""
    host, _, rest = holder.partition(":")
    pid_text = rest.split(":", 1)[0]
    if host != socket.gethostname()[:80] or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, under another user
        return False
    return _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    # A killed child that its parent has not reaped yet still answers signal 0.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False
