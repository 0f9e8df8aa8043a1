import pytest

from engines.contracts import DreamDraft, MomentDraft
from engines.errors import EngineError, EngineOutputInvalid
from engines.output import parse_draft
from engines.redaction import redact

SIGIL = "ctx.beginPath();\\nctx.arc(50, 50, 30, 0, Math.PI * 2);\\nctx.stroke();"
MOMENT_JSON = (
    '{"mind_moment": "A visitor waves.", "sigil_phrase": "greeting hand",'
    f' "sigil_code": "{SIGIL}", "circumplex": {{"valence": 0.5, "arousal": 0.2}}}}'
)


@pytest.mark.parametrize(
    "answer",
    [
        MOMENT_JSON,
        f"```json\n{MOMENT_JSON}\n```",
        f"Here is the moment you asked for:\n```\n{MOMENT_JSON}\n```\nI hope it helps!",
        f"Thinking {{not json}} ... {MOMENT_JSON} trailing",
    ],
)
def test_drafts_are_found_inside_fences_and_prose(answer):
    draft = parse_draft(answer, MomentDraft)
    assert draft.sigil_phrase == "greeting hand"
    assert draft.sigil_commands[1][0] == "arc"


@pytest.mark.parametrize(
    ("answer", "complaint"),
    [
        ("I cannot draw today.", "no JSON object"),
        ('{"mind_moment": "x"}', "sigil_phrase"),
        (MOMENT_JSON.replace("greeting hand", "one two three four five six"), "1 to 5 words"),
        (MOMENT_JSON.replace("0.5", "3"), "valence"),
        (MOMENT_JSON.replace("Math.PI * 2", "window.alert(1)"), "not valid sigil code"),
        (MOMENT_JSON.replace("\\nctx.stroke();", ""), "draws nothing"),
    ],
)
def test_invalid_output_is_a_typed_error_naming_the_problem(answer, complaint):
    with pytest.raises(EngineOutputInvalid) as invalid:
        parse_draft(answer, MomentDraft)
    assert complaint in invalid.value.detail
    assert invalid.value.reason == "invalid_output"


def test_dream_draft_needs_one_to_five_themes_citing_moments():
    base = (
        '{"title": "t", "narrative": "n", "sigil_phrase": "p", '
        f'"sigil_code": "{SIGIL}", "circumplex": {{"valence": 0, "arousal": 0}}, '
    )
    with pytest.raises(EngineOutputInvalid):
        parse_draft(base + '"themes": []}', DreamDraft)
    with pytest.raises(EngineOutputInvalid):
        parse_draft(
            base + '"themes": [{"name": "a", "summary": "b", "moment_ids": []}]}', DreamDraft
        )
    draft = parse_draft(
        base + '"themes": [{"name": "a", "summary": "b", "moment_ids": [3, 4]}]}', DreamDraft
    )
    assert draft.cited_moment_ids() == {3, 4}


def test_redaction_removes_keys_bearers_env_values_and_paths(monkeypatch):
    monkeypatch.setenv("SOME_PROVIDER_TOKEN", "plain-looking-value")
    text = (
        "401 from https://api.example.com: Authorization: Bearer abc.def.ghi "
        "key sk-ant-api03-abcdefghijklmnop in /home/ada/.config/x.json "
        "and ~/.codex/auth.json; token plain-looking-value; /srv/dreams/var/db; "
        "key=AIzaSyAbcdefghijklmnopqrstuvwxyzABCDEFG"
    )
    cleaned = redact(text)
    for secret in [
        "abc.def.ghi",
        "sk-ant-api03",
        "/home/ada",
        "~/.codex",
        "plain-looking-value",
        "/srv/dreams",
        "AIzaSy",
    ]:
        assert secret not in cleaned
    assert "https://api.example.com" in cleaned


def test_engine_errors_never_carry_secrets(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sekrit-value-1234")
    error = EngineError("provider said: bad key sekrit-value-1234 at /root/.anthropic")
    assert "sekrit-value-1234" not in str(error)
    assert "/root" not in str(error)
