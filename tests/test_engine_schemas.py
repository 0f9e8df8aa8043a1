"""The drafts' schemas as the providers' structured-output features take them: one schema,
inside the subset OpenAI's strict mode accepts, that admits every draft the pydantic
models accept in full."""

import re
from collections.abc import Iterator

import jsonschema
import pytest

from engines.contracts import DreamDraft, MomentDraft
from engines.schemas import draft_schema

SIGIL = "ctx.beginPath();\nctx.arc(50, 50, 30, 0, Math.PI * 2);\nctx.stroke();"
MOMENT = {
    "mind_moment": "A visitor waves.",
    "sigil_phrase": "greeting hand",
    "sigil_code": SIGIL,
    "circumplex": {"valence": 0.5, "arousal": 0.2},
}
DREAM = {
    "title": "The window dream",
    "narrative": "The room kept the warmth of those who passed.",
    "themes": [{"name": "warmth", "summary": "Visitors warmed the room.", "moment_ids": [3]}],
    "threads": [{"name": "the window", "note": "returns at dusk"}],
    "sigil_phrase": "warm window",
    "sigil_code": SIGIL,
    "circumplex": {"valence": 0.3, "arousal": -0.1},
}
DRAFTS = [(MomentDraft, MOMENT), (DreamDraft, DREAM)]
# What OpenAI's strict mode refuses or ignores, and Gemini and Ollama may not resolve.
REFUSED_KEYWORDS = {"$ref", "$defs", "default", "title", "minLength", "maxLength"}


def schemas_within(schema: dict) -> Iterator[dict]:
    yield schema
    for sub in schema.get("properties", {}).values():
        yield from schemas_within(sub)
    if isinstance(schema.get("items"), dict):
        yield from schemas_within(schema["items"])


@pytest.mark.parametrize("draft_type", [MomentDraft, DreamDraft], ids=["moment", "dream"])
def test_every_object_is_closed_and_requires_all_its_properties(draft_type):
    objects = [
        sub
        for sub in schemas_within(draft_schema(draft_type).json_schema)
        if sub.get("type") == "object"
    ]

    assert len(objects) >= 2  # the draft and its circumplex at least
    for sub in objects:
        assert sub["additionalProperties"] is False
        assert sub["required"] == list(sub["properties"])


@pytest.mark.parametrize("draft_type", [MomentDraft, DreamDraft], ids=["moment", "dream"])
def test_no_keyword_strict_mode_refuses(draft_type):
    for sub in schemas_within(draft_schema(draft_type).json_schema):
        assert not REFUSED_KEYWORDS & set(sub), sub


@pytest.mark.parametrize(("draft_type", "answer"), DRAFTS, ids=["moment", "dream"])
def test_a_complete_valid_draft_fits_its_schema(draft_type, answer):
    draft_type.model_validate(answer)

    jsonschema.validate(answer, draft_schema(draft_type).json_schema)


def test_the_fields_validation_fills_in_are_not_asked_for():
    properties = draft_schema(DreamDraft).json_schema["properties"]

    assert "sigil_commands" not in properties
    assert set(properties) == set(DREAM)


@pytest.mark.parametrize(
    "broken",
    [
        {**MOMENT, "mood": "extra"},
        {key: value for key, value in MOMENT.items() if key != "sigil_code"},
        {**MOMENT, "circumplex": {"valence": 3, "arousal": 0}},
        {**MOMENT, "circumplex": {"valence": 0.1, "arousal": 0, "dominance": 0.5}},
    ],
    ids=["extra field", "missing field", "out of range", "extra nested field"],
)
def test_the_schema_refuses_what_the_model_refuses(broken):
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, draft_schema(MomentDraft).json_schema)


def test_names_suit_every_provider():
    names = [draft_schema(draft_type).name for draft_type, _ in DRAFTS]

    assert names == ["mind_moment", "dream_review"]
    for name in names:
        assert re.fullmatch(r"[a-zA-Z0-9_]{1,64}", name)
