import os
import subprocess
import sys
from pathlib import Path

import pytest

from engines.contracts import MomentContext, PerceptInput
from engines.errors import EngineNotReady
from engines.models import SelectionSource
from engines.prompts import DEFAULT_VOICE
from engines.selection import engine_select
from engines.services import engine_cognize, engine_dream, engine_probe

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


def test_a_fresh_install_thinks_with_the_offline_engine():
    percepts = [
        PerceptInput(kind="visual", description="a child holds a paper boat", valence=0.6),
        PerceptInput(kind="audio", transcript="look, my boat floats", arousal=0.4),
    ]
    call = engine_cognize(percepts=percepts, prior_moments=[], voice=DEFAULT_VOICE)
    assert call.engine == "offline"
    assert call.draft.sigil_commands
    assert 1 <= len(call.draft.sigil_phrase.split()) <= 5
    assert call.duration_ms >= 0

    material = [
        MomentContext(
            id=i,
            cycle=i,
            text=f"the boat drifts on the pond {i}",
            sigil_phrase="paper boat",
            valence=0.3,
            arousal=0.1,
        )
        for i in range(1, 8)
    ]
    dream = engine_dream(material=material, continuity=[], voice=DEFAULT_VOICE)
    assert dream.draft.cited_moment_ids() <= {m.id for m in material}
    assert dream.draft.sigil_commands


def test_a_selected_engine_that_is_not_ready_is_not_called_and_not_replaced():
    engine_select(engine="anthropic", source=SelectionSource.ADMIN, allow_not_ready=True)
    with pytest.raises(EngineNotReady) as not_ready:
        engine_cognize(percepts=[], prior_moments=[], voice=DEFAULT_VOICE)
    assert "ANTHROPIC_API_KEY" in not_ready.value.message
    assert not_ready.value.reason == "engine_not_ready"


def test_probe_reports_a_live_answer_from_the_offline_engine():
    outcome = engine_probe()
    assert outcome.ok
    assert "answered in" in outcome.message


def test_selection_survives_a_restart(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "dreamsite.settings",
        "DREAMS_IGNORE_DOTENV": "true",
        "DREAMS_VAR_DIR": str(tmp_path),
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'restart.sqlite3'}",
    }

    def manage(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    manage("migrate", "-v0")
    manage("engines", "select", "anthropic", "--model", "claude-opus-4", "--allow-not-ready")
    listing = manage("engines")
    assert "Selected: anthropic, model claude-opus-4 (NOT READY" in listing
