import logging
import os
from importlib import import_module

import pytest
from django.test import Client

# Child processes (real servers), the browser that drives them, a stub provider's engine.
pytest_plugins = ["tests.children", "tests.browser", "tests.provider_stub"]

# A secret that is set in the environment for the whole run. It must never appear in a
# response, a page or a log record: every test checks (see `canary_never_leaks`).
CANARY_SECRET = "canary-7f3a9c1e-do-not-leak-5b2d8e4f"
os.environ["DREAMS_CANARY_SECRET"] = CANARY_SECRET


class _CanaryWatch(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.leaks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage() + (self.format(record) if record.exc_info else "")
        if CANARY_SECRET in text:
            self.leaks.append(f"log record from {record.name}")


@pytest.fixture(autouse=True)
def canary_never_leaks(monkeypatch):
    """Fails any test in which the canary reaches a log record or an HTTP response."""
    watch = _CanaryWatch()
    logging.getLogger().addHandler(watch)
    original_request = Client.request

    def checked_request(self: Client, **request: object) -> object:
        response = original_request(self, **request)
        if not getattr(response, "streaming", False) and CANARY_SECRET.encode() in response.content:
            watch.leaks.append(f"response to {request.get('PATH_INFO')}")
        return response

    monkeypatch.setattr(Client, "request", checked_request)
    yield watch
    logging.getLogger().removeHandler(watch)
    assert not watch.leaks, f"the canary secret leaked into: {watch.leaks}"


@pytest.fixture(autouse=True)
def frames_match_their_events(monkeypatch):
    """Every frame a test's WebSocket communicator receives is validated against the model
    of its event (dreams.realtime.events)."""
    from tests.communicators import validate_every_frame

    validate_every_frame(monkeypatch)


@pytest.fixture(autouse=True)
def isolated_var_dir(settings, tmp_path):
    """Every test gets its own var/ (image cache, generated files) and an empty cache
    (throttle counters)."""
    from django.core.cache import cache

    cache.clear()
    settings.VAR_DIR = tmp_path / "var"
    return settings.VAR_DIR


@pytest.fixture(autouse=True)
def dream_settings_row(request):
    """The dream settings row that migration 0010 creates, and the default personality that
    migration 0009 seeds, as every real database has them: a transactional test's flush
    empties the tables, so they are put back before each test."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None and not {"db", "transactional_db"} & set(request.fixturenames):
        return
    transactional = "transactional_db" in request.fixturenames or (
        marker is not None and marker.kwargs.get("transaction", False)
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    from django.apps import apps
    from django.db import connection

    from dreams.models import DreamSettings, Personality

    DreamSettings.objects.get_or_create(pk=DreamSettings.SINGLETON_ID)
    if not Personality.objects.exists():
        seed = import_module("dreams.migrations.0009_personalities").seed_default_personality
        seed(apps, connection.schema_editor())


@pytest.fixture
def staff_client(django_user_model) -> Client:
    user = django_user_model.objects.create_superuser(username="operator", password="pw-operator")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def scheduler_checking(db) -> None:
    """The server's own scheduler has just checked the cadence (health needs one to say
    healthy)."""
    from dreams.models import SchedulerSource
    from dreams.services.scheduler import scheduler_heartbeat

    scheduler_heartbeat(source=SchedulerSource.EMBEDDED, interval_s=60)


@pytest.fixture
def setup_done(db) -> None:
    """Setup has been finished, so the dream run's activation gate is open."""
    from dreams.services.dream_settings import setup_complete

    setup_complete()


PROVIDER_VARIABLES = [
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENROUTER_API_KEY",
    "OPENROUTER_BASE_URL",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "GEMINI_BASE_URL",
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
