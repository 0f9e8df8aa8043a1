import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _load_settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    # The suite's own key and servers (the PostgreSQL pass sets DATABASE_URL) stay out.
    ignored = {"SECRET_KEY", "DEBUG", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS"}
    clean = {k: v for k, v in os.environ.items() if k not in ignored}
    clean.update(
        DJANGO_SETTINGS_MODULE="dreamsite.settings",
        DREAMS_VAR_DIR=str(tmp_path),
        DREAMS_IGNORE_DOTENV="true",
        **env,
    )
    code = (
        "import django; django.setup(); "
        "from django.conf import settings; print(settings.ALLOWED_HOSTS)"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True
    )


def test_generated_key_serves_a_single_machine_with_debug_off(tmp_path):
    result = _load_settings(tmp_path, DEBUG="false")
    assert result.returncode == 0, result.stderr
    key = tmp_path / "secret_key"
    assert len(key.read_text()) >= 50
    assert key.stat().st_mode & 0o777 == 0o600


def test_generated_key_is_refused_with_a_database_server_and_debug_off(tmp_path):
    result = _load_settings(
        tmp_path, DEBUG="false", DATABASE_URL="postgres://dreams@db.internal:5432/dreams"
    )
    assert result.returncode != 0
    assert "Set SECRET_KEY in every server's environment" in result.stderr
    assert str(tmp_path) not in result.stderr
    assert not (tmp_path / "secret_key").exists()


def test_generated_key_is_refused_with_redis_and_debug_off(tmp_path):
    result = _load_settings(tmp_path, DEBUG="false", REDIS_URL="redis://redis.internal:6379/0")
    assert result.returncode != 0
    assert "Set SECRET_KEY in every server's environment" in result.stderr
    assert not (tmp_path / "secret_key").exists()


def test_generated_key_is_accepted_with_redis_while_debug_is_on(tmp_path):
    result = _load_settings(tmp_path, DEBUG="true", REDIS_URL="redis://127.0.0.1:6379/0")
    assert result.returncode == 0, result.stderr


def test_development_key_is_generated_once_and_kept(tmp_path):
    assert _load_settings(tmp_path, DEBUG="true").returncode == 0
    key = (tmp_path / "secret_key").read_text()
    assert len(key) >= 50
    assert _load_settings(tmp_path, DEBUG="true").returncode == 0
    assert (tmp_path / "secret_key").read_text() == key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_configured_key_starts_without_debug(tmp_path):
    result = _load_settings(
        tmp_path,
        DEBUG="false",
        SECRET_KEY="x" * 60,
        DATABASE_URL="postgres://dreams@db.internal:5432/dreams",
        REDIS_URL="redis://redis.internal:6379/0",
    )
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "secret_key").exists()


def test_allowed_hosts_are_explicit_by_default(tmp_path):
    result = _load_settings(tmp_path, DEBUG="true")
    assert "127.0.0.1" in result.stdout
    assert "'*'" not in result.stdout


def test_a_wildcard_among_allowed_hosts_is_refused(tmp_path):
    for hosts in ("*", "dreams.example.org,*", "*.example.org"):
        result = _load_settings(tmp_path, ALLOWED_HOSTS=hosts, SECRET_KEY="x" * 60)
        assert result.returncode != 0, hosts
        assert "List the host names it serves" in result.stderr


def test_env_example_documents_every_variable_settings_read():
    settings_source = (ROOT / "dreamsite" / "settings.py").read_text()
    documented = (ROOT / ".env.example").read_text()
    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', settings_source))
    internal = {"DREAMS_IGNORE_DOTENV"}
    missing = sorted(name for name in read - internal if name not in documented)
    assert not missing, f".env.example does not document {missing}"
