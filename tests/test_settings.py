import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _load_settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
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


def test_generated_key_is_refused_when_debug_is_off(tmp_path):
    result = _load_settings(tmp_path, DEBUG="false")
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_development_key_is_generated_once_and_kept(tmp_path):
    assert _load_settings(tmp_path, DEBUG="true").returncode == 0
    key = (tmp_path / "secret_key").read_text()
    assert len(key) >= 50
    assert _load_settings(tmp_path, DEBUG="true").returncode == 0
    assert (tmp_path / "secret_key").read_text() == key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_configured_key_starts_without_debug(tmp_path):
    result = _load_settings(tmp_path, DEBUG="false", SECRET_KEY="x" * 60)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "secret_key").exists()


def test_allowed_hosts_are_explicit_by_default(tmp_path):
    result = _load_settings(tmp_path, DEBUG="true")
    assert "127.0.0.1" in result.stdout
    assert "'*'" not in result.stdout


def test_env_example_documents_every_variable_settings_read():
    settings_source = (ROOT / "dreamsite" / "settings.py").read_text()
    documented = (ROOT / ".env.example").read_text()
    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', settings_source))
    internal = {"DREAMS_IGNORE_DOTENV"}
    missing = sorted(name for name in read - internal if name not in documented)
    assert not missing, f".env.example does not document {missing}"
