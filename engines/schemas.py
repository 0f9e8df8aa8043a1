"""The drafts' JSON schemas, ready for the providers' structured-output features.

One schema serves every provider: the common subset of JSON Schema that OpenAI's strict
mode accepts (every object closed with `additionalProperties: false`, every property
required, references inlined, no defaults and no string lengths), which Anthropic's tool
`input_schema`, Gemini's `responseJsonSchema` and Ollama's `format` read as well. The
constraints it leaves out still hold: every answer is validated with the pydantic model.
"""

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from engines.contracts import DreamDraft, MomentDraft

JsonSchema = dict[str, Any]

# Names the providers show the model (a tool's name, a response format's name): letters,
# digits and underscores, as every provider allows.
_NAMES: dict[type[BaseModel], str] = {MomentDraft: "mind_moment", DreamDraft: "dream_review"}
# Keywords strict mode refuses, or that say nothing to a model.
_LEFT_OUT = frozenset({"title", "default", "minLength", "maxLength"})
_SCHEMA_LISTS = ("anyOf", "allOf", "oneOf", "prefixItems")


@dataclass(frozen=True)
class DraftSchema:
    """What a provider is told the answer must look like."""

    name: str
    json_schema: JsonSchema


def draft_schema(draft_type: type[BaseModel]) -> DraftSchema:
    # The serialization schema lists the fields an engine sends: fields that validation
    # fills in (the parsed sigil commands) are excluded from it.
    schema = draft_type.model_json_schema(mode="serialization")
    definitions = schema.pop("$defs", {})
    return DraftSchema(name=_NAMES[draft_type], json_schema=_portable(schema, definitions))


def _portable(schema: JsonSchema, definitions: dict[str, JsonSchema]) -> JsonSchema:
    if "$ref" in schema:
        schema = definitions[schema["$ref"].rsplit("/", 1)[-1]]
    portable: JsonSchema = {}
    for keyword, value in schema.items():
        if keyword in _LEFT_OUT:
            continue
        if keyword == "properties":
            value = {name: _portable(sub, definitions) for name, sub in value.items()}
        elif keyword == "items" and isinstance(value, dict):
            value = _portable(value, definitions)
        elif keyword in _SCHEMA_LISTS:
            value = [_portable(sub, definitions) for sub in value]
        portable[keyword] = value
    if portable.get("type") == "object":
        portable["additionalProperties"] = False
        portable["required"] = list(portable.get("properties", {}))
    return portable
