import os

import pytest
from django.test import Client


@pytest.fixture(autouse=True)
def isolated_var_dir(settings, tmp_path):
    """Every test gets its own var/ (image cache, generated files) and an empty cache
    (throttle counters)."""
    from django.core.cache import cache

    cache.clear()
    settings.VAR_DIR = tmp_path / "var"
    return settings.VAR_DIR


@pytest.fixture
def staff_client(django_user_model) -> Client:
    user = django_user_model.objects.create_superuser(username="operator", password="pw-operator")
    client = Client()
    client.force_login(user)
    return client


PROVIDER_VARIABLES = [
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENROUTER_API_KEY",
    "OPENROUTER_BASE_URL",
    "OLLAMA_HOST",
    "CLAUDE_CODE_OAUTH_TOKEN",
    "CODEX_API_KEY",
]


@pytest.fixture(autouse=True)
def engine_env(monkeypatch, tmp_path):
    """Engines see a machine with no provider keys, no CLIs and no Ollama unless a test
    says otherwise; call the fixture to set (or, with None, remove) variables."""
    from engines.readiness import readiness_cache_clear

    for name in PROVIDER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:9")  # discard port: refused at once
    monkeypatch.setenv("DREAMS_LEGACY_CONFIG", str(tmp_path / "no-legacy-config.json"))
    monkeypatch.setenv("PATH", os.pathsep.join(["/usr/bin", "/bin"]))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    readiness_cache_clear()

    def set_variables(**variables: str | None) -> None:
        for name, value in variables.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        readiness_cache_clear()

    yield set_variables
    readiness_cache_clear()
