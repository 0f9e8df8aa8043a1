"""The generated secret key: made once into var/ when none is configured.

A key generated on this machine is fine wherever this machine is the only one serving the
site (the embedded setup: SQLite in var/, no Redis), with DEBUG on or off. With DEBUG off
it is refused where several machines may serve one site, since each would generate a key
of its own and reject the others' sessions and signed cookies: when DATABASE_URL names a
database server or REDIS_URL is set. There SECRET_KEY must be set, the same everywhere.
"""

import os
import secrets
import tempfile
from pathlib import Path

from dreamsite.refusals import SettingRefused

GENERATED_KEY_FILENAME = "secret_key"

SHARED_SERVERS_NEED_A_KEY = (
    "No SECRET_KEY is set. With a database server or Redis (DATABASE_URL, REDIS_URL), "
    "several machines may serve this site and each would generate a key of its own. Set "
    "SECRET_KEY in every server's environment (or .env) to the same long random value, "
    "then restart."
)


def development_secret_key(var_dir: Path) -> str:
    """Return the key stored in var/, creating it (readable by the owner only) on first use."""
    path = var_dir / GENERATED_KEY_FILENAME
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    # Written to a private temporary file and linked into place: exactly one of several
    # processes starting at once creates the key, and nobody reads it half-written.
    fd, temporary = tempfile.mkstemp(dir=var_dir, prefix=".secret_key.")
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    try:
        os.link(temporary, path)
    except FileExistsError:
        key = path.read_text().strip()
    finally:
        os.unlink(temporary)
    return key


def generated_key_allowed(*, debug: bool, database_engine: str, redis_url: str) -> bool:
    """Whether a key generated on this machine may sign for the site (see the module)."""
    single_machine = database_engine == "django.db.backends.sqlite3" and not redis_url
    return debug or single_machine


def refuse_generated_key_on_shared_servers(
    *, debug: bool, database_engine: str, redis_url: str
) -> None:
    if not generated_key_allowed(debug=debug, database_engine=database_engine, redis_url=redis_url):
        raise SettingRefused(SHARED_SERVERS_NEED_A_KEY)
