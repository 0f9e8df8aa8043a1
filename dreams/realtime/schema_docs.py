"""The JSON schemas in docs/events.md, generated from the event models.

`python -m dreams.realtime.schema_docs` rewrites every generated block of docs/events.md
(between `<!-- schema:NAME -->` and `<!-- /schema -->`); tests/test_event_schemas.py fails
when the file is out of date or an event has no block.
"""

import json
import re
import sys
from pathlib import Path

from dreams.realtime.events import EVENTS

DOC = Path(__file__).resolve().parents[2] / "docs" / "events.md"
BLOCK = re.compile(r"<!-- schema:(\w+) -->\n.*?<!-- /schema -->", re.S)


def _clean(schema: object, *, optional: bool = False) -> object:
    """Without pydantic's titles; an optional field (absent from the frame unless set,
    never null) shows only its type."""
    if isinstance(schema, list):
        return [_clean(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if optional and schema.get("default", ...) is None and "anyOf" in schema:
        kinds = [kind for kind in schema["anyOf"] if kind != {"type": "null"}]
        if len(kinds) == 1:
            rest = {k: v for k, v in schema.items() if k not in ("anyOf", "default")}
            schema = {**kinds[0], **rest}
    required = set(schema.get("required", ()))
    cleaned = {}
    for key, value in schema.items():
        if key == "title":
            continue
        if key == "properties":
            value = {
                field: _clean(spec, optional=field not in required) for field, spec in value.items()
            }
        elif key in ("$defs",):
            value = {name: _clean(spec) for name, spec in value.items()}
        else:
            value = _clean(value)
        cleaned[key] = value
    return cleaned


def schema_of(name: str) -> dict:
    schema = EVENTS[name].model_json_schema(by_alias=True, mode="serialization")
    return _clean(schema)  # type: ignore[return-value]


def _format(schema: dict) -> str:
    """One line per property and per definition, like the rest of the docs."""
    lines = []
    for key, value in schema.items():
        if key in ("properties", "$defs") and value:
            inner = ",\n".join(f"   {json.dumps(k)}: {json.dumps(v)}" for k, v in value.items())
            lines.append(f" {json.dumps(key)}: {{\n{inner}}}")
        else:
            lines.append(f" {json.dumps(key)}: {json.dumps(value)}")
    return "{" + ",\n".join(lines).lstrip() + "}"


def block(name: str) -> str:
    model = EVENTS[name]
    schema = _format(schema_of(name))
    notes = f"{model.notes}\n" if model.notes else ""
    return f"<!-- schema:{name} -->\n```json\n{schema}\n```\n{notes}<!-- /schema -->"


def render(text: str) -> str:
    return BLOCK.sub(lambda match: block(match.group(1)), text)


def documented(text: str) -> set[str]:
    return {match.group(1) for match in BLOCK.finditer(text)}


def main() -> int:
    text = DOC.read_text()
    missing = set(EVENTS) - documented(text)
    if missing:
        print(f"docs/events.md has no block for: {', '.join(sorted(missing))}", file=sys.stderr)
        return 1
    DOC.write_text(render(text))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
