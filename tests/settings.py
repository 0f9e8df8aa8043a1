"""Test settings: the real settings, with a fixed key and a throwaway var/ directory."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")
# One of its own for every process of the run: pytest-xdist's workers inherit the
# environment of the process that started them.
os.environ["DREAMS_VAR_DIR"] = tempfile.mkdtemp(prefix="dreams-test-var-")
os.environ["DEBUG"] = "false"
# Perceptor sessions need the token (or a staff login) in every mode.
os.environ["DREAMS_SESSION_TOKEN"] = "test-session-token"
# A developer's .env must not point the suite at their own database.
os.environ["DREAMS_IGNORE_DOTENV"] = "true"

from dreamsite.settings import *  # noqa: F403

SESSION_TOKEN = DREAMS_SESSION_TOKEN  # noqa: F405 - what test clients present

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 - WhiteNoise expects it

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not shared-cache memory: the conductor works from several threads at once,
    # which shared-cache memory databases answer with "table is locked".
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}  # noqa: F405
else:
    # Threads the conductor works in must not keep connections past a test: they would
    # hold the test database open when it is dropped.
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
