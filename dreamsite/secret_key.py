"""The development secret key: generated once into var/ when none is configured."""

import os
import secrets
import tempfile
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

GENERATED_KEY_FILENAME = "secret_key"


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


def refuse_generated_key_in_production(*, debug: bool, key_was_generated: bool) -> None:
    if key_was_generated and not debug:
        raise ImproperlyConfigured(
            "DEBUG is off but no SECRET_KEY is set. Set SECRET_KEY in the server's "
            "environment (or .env) to a long random value, then restart."
        )
