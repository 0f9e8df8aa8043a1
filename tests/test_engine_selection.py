import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dreams.services.dream_settings import dream_settings_change
from engines.adapters.base import Check, ReadinessState
from engines.models import EngineSelection, EngineSelectionChange, SelectionSource
from engines.selection import (
    EngineSelectionError,
    engine_auto_select,
    engine_select,
    selected_engine,
)

pytestmark = pytest.mark.django_db


def test_fresh_install_without_keys_selects_offline_and_keeps_it():
    first = selected_engine()
    assert (first.engine, first.ready, first.source) == ("offline", True, "auto")
    assert engine_auto_select().engine == "offline"
    assert EngineSelection.objects.get().engine == "offline"
    assert selected_engine().engine == "offline"
    engine_auto_select()
    assert EngineSelectionChange.objects.count() == 1


def test_reading_the_selection_never_writes(engine_env):
    engine_env(OPENROUTER_API_KEY="or-key-123456")
    assert selected_engine().engine == "openrouter"
    assert not EngineSelection.objects.exists()
    assert not EngineSelectionChange.objects.exists()


def test_finishing_setup_stores_the_automatic_choice():
    dream_settings_change(changes={}, finish_setup=True)
    assert (EngineSelection.objects.get().engine, EngineSelection.objects.get().source) == (
        "offline",
        "auto",
    )


def test_auto_selection_keeps_a_stored_choice_even_when_not_ready(engine_env):
    engine_env(OPENROUTER_API_KEY="or-key-123456")
    engine_select(engine="openrouter", source=SelectionSource.API)
    engine_env(OPENROUTER_API_KEY=None)
    assert engine_auto_select().engine == "openrouter"


def test_first_ready_engine_in_order_is_chosen_automatically(engine_env):
    engine_env(OPENROUTER_API_KEY="or-key-123456")
    assert selected_engine().engine == "openrouter"


def test_gemini_comes_after_openrouter_and_before_the_local_engines(engine_env):
    engine_env(GEMINI_API_KEY="gemini-key-123456")
    assert selected_engine().engine == "gemini"
    engine_env(OPENROUTER_API_KEY="or-key-123456")
    assert selected_engine().engine == "openrouter"


def test_a_selected_engine_that_stops_being_ready_is_reported_not_replaced(engine_env):
    engine_env(OPENROUTER_API_KEY="or-key-123456")
    engine_select(engine="openrouter", source=SelectionSource.API)
    engine_env(OPENROUTER_API_KEY=None)
    selection = selected_engine()
    assert selection.engine == "openrouter"
    assert not selection.ready
    assert selection.readiness.state == ReadinessState.NEEDS_SETUP
    assert "OPENROUTER_API_KEY" in selection.readiness.fix_hint


def test_an_invalid_stored_choice_is_replaced_by_auto_selection():
    EngineSelection.objects.create(engine="retired-engine", source=SelectionSource.API)
    assert selected_engine().engine == "offline"
    assert EngineSelection.objects.get().engine == "retired-engine"  # a read never writes
    engine_auto_select()
    assert EngineSelection.objects.get().engine == "offline"


def test_selecting_records_who_when_and_from_where():
    engine_select(
        engine="offline",
        model="builtin",
        source=SelectionSource.API,
        actor="ada",
        remote_addr="127.0.0.1",
    )
    change = EngineSelectionChange.objects.first()
    assert (change.engine, change.source, change.actor, change.remote_addr) == (
        "offline",
        "api",
        "ada",
        "127.0.0.1",
    )


@pytest.mark.parametrize(
    ("engine", "code"),
    [
        ("nope", "unknown_engine"),
        ("hermes", "unsupported_engine"),
        ("anthropic", "engine_not_ready"),
    ],
)
def test_refused_selections_change_nothing(engine, code):
    selected_engine()
    with pytest.raises(EngineSelectionError) as refused:
        engine_select(engine=engine, source=SelectionSource.API)
    assert refused.value.code == code
    assert selected_engine().engine == "offline"


def test_not_ready_engine_can_be_selected_deliberately():
    selection = engine_select(
        engine="anthropic", source=SelectionSource.ADMIN, allow_not_ready=True
    )
    assert (selection.engine, selection.ready) == ("anthropic", False)
    assert "ANTHROPIC_API_KEY" in selection.readiness.fix_hint


@pytest.mark.parametrize(
    ("legacy", "engine", "model"),
    [
        ({"dreamEngine": "claude"}, "claude-cli", ""),
        ({"dreamEngine": "codex"}, "codex-cli", ""),
        (
            {"dreamEngine": "openrouter", "openRouterModel": "meta/llama-4"},
            "openrouter",
            "meta/llama-4",
        ),
    ],
)
def test_legacy_choice_is_imported_once_and_the_file_is_never_written(
    tmp_path, engine_env, legacy, engine, model
):
    config = tmp_path / "config.json"
    config.write_text(json.dumps(legacy))
    engine_env(DREAMS_LEGACY_CONFIG=str(config))
    selection = selected_engine()
    assert (selection.engine, selection.source) == (engine, "legacy_import")
    assert selection.model == model or not model
    engine_auto_select()
    assert config.read_text() == json.dumps(legacy)  # read, never written
    config.write_text(json.dumps({"dreamEngine": "hermes"}))
    engine_auto_select()
    assert selected_engine().engine == engine  # imported once only
    assert EngineSelectionChange.objects.filter(source="legacy_import").count() == 1


def test_legacy_hermes_is_kept_as_an_unsupported_choice(tmp_path, engine_env):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"dreamEngine": "hermes"}))
    engine_env(DREAMS_LEGACY_CONFIG=str(config))
    selection = selected_engine()
    assert selection.engine == "hermes"
    assert selection.readiness.state == ReadinessState.UNSUPPORTED


def test_unreadable_legacy_config_falls_back_to_auto_selection(tmp_path, engine_env):
    config = tmp_path / "config.json"
    config.write_text("{not json")
    engine_env(DREAMS_LEGACY_CONFIG=str(config))
    assert selected_engine().engine == "offline"


def test_engines_command_lists_every_engine_with_how_to_enable_it(capsys):
    call_command("engines")
    output = capsys.readouterr().out
    for engine in [
        "anthropic",
        "openai",
        "openrouter",
        "gemini",
        "ollama",
        "claude-cli",
        "codex-cli",
        "hermes",
        "offline",
    ]:
        assert engine in output
    assert "Set ANTHROPIC_API_KEY" in output
    assert "Selected: offline" in output


def test_engines_command_selects_through_the_same_rules(capsys):
    with pytest.raises(CommandError) as refused:
        call_command("engines", "select", "anthropic")
    assert "ANTHROPIC_API_KEY" in str(refused.value)
    call_command("engines", "select", "offline")
    assert selected_engine().source == "cli"


def test_readiness_checks_are_cached(monkeypatch, settings):
    from engines import readiness

    calls = []

    class CountingAdapter:
        def check(self, env):
            calls.append(1)
            return Check(ReadinessState.READY)

    monkeypatch.setattr(readiness, "adapter_for", lambda engine_id: CountingAdapter())
    readiness.readiness_cache_clear()
    readiness.engine_readiness("offline")
    readiness.engine_readiness("offline")
    assert len(calls) == 1
    readiness.engine_readiness("offline", fresh=True)
    assert len(calls) == 2
