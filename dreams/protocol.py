"""The WebSocket protocol's client frames, as JSON schemas (docs/events.md shows them).

Frames are validated before anything happens; a frame that fails gets an `error` event
naming the problem and changes nothing.
"""

from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from dreams.emotion import CIRCUMPLEX_MAX, CIRCUMPLEX_MIN
from dreams.realtime.events import ErrorReason
from dreams.text import text_problem

_UNIT = {"type": "number", "minimum": CIRCUMPLEX_MIN, "maximum": CIRCUMPLEX_MAX}
_TEXT = {"type": "string", "minLength": 1, "maxLength": 2000}

START_SESSION = {
    "type": "object",
    "properties": {
        "event": {"const": "startSession"},
        "data": {
            "type": "object",
            "properties": {"client": {"type": "string", "maxLength": 80}},
            "additionalProperties": False,
        },
    },
    "required": ["event"],
    "additionalProperties": False,
}

def _percept_data(kind: str, text_field: str) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "kind": {"const": kind},
            text_field: _TEXT,
            "valence": _UNIT,
            "arousal": _UNIT,
        },
        "required": ["kind", text_field],
        "additionalProperties": False,
    }


# One schema per kind of percept, chosen by `data.kind`, so a refusal names the field at
# fault rather than "not valid under any of the given schemas".
PERCEPT_DATA = {
    "visual": _percept_data("visual", "description"),
    "audio": _percept_data("audio", "transcript"),
}
PERCEPT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "event": {"const": "percept"},
        "data": {"oneOf": list(PERCEPT_DATA.values())},
    },
    "required": ["event", "data"],
    "additionalProperties": False,
}

END_SESSION = {
    "type": "object",
    "properties": {
        "event": {"const": "endSession"},
        "data": {"type": "object", "maxProperties": 0},
    },
    "required": ["event"],
    "additionalProperties": False,
}

SESSION_FRAMES = {"startSession": START_SESSION, "percept": PERCEPT, "endSession": END_SESSION}
_VALIDATORS = {name: Draft202012Validator(schema) for name, schema in SESSION_FRAMES.items()}
_PERCEPT_VALIDATORS = {
    kind: Draft202012Validator(
        {**PERCEPT, "properties": {**PERCEPT["properties"], "data": schema}}
    )
    for kind, schema in PERCEPT_DATA.items()
}
_JSON_TYPES = {"string": "text", "number": "a number", "object": "an object", "array": "a list"}


class FrameError(Exception):
    def __init__(self, reason: ErrorReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def _field_message(error: ValidationError) -> str:
    """One schema error as product copy: "description: at most 2,000 characters"."""
    path = [str(part) for part in error.absolute_path if part != "data"]
    where = ".".join(path) or "data"
    schema = error.schema if isinstance(error.schema, dict) else {}
    match error.validator:
        case "maxLength":
            return f"{where}: at most {schema['maxLength']:,} characters"
        case "minLength":
            return f"{where}: must not be empty"
        case "minimum" | "maximum":
            return f"{where}: a number from {schema['minimum']:g} to {schema['maximum']:g}"
        case "type":
            expected = _JSON_TYPES.get(str(schema.get("type")), str(schema.get("type")))
            return f"{where}: must be {expected}"
        case "required":
            missing = error.message.split("'")[1] if "'" in error.message else "a field"
            return f"{'.'.join([*path, missing])}: required"
        case "additionalProperties":
            known = ", ".join(schema.get("properties", {}))
            return f"{where}: unknown field; the fields are {known}"
        case "maxProperties":
            return f"{where}: takes no fields"
        case "const" | "enum":
            return f"{where}: must be {schema.get('const', schema.get('enum'))!r}"
        case _:
            return f"{where}: not accepted"


def _strings(value: object, path: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield ".".join(path) or "frame", value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(str(key), (*path, "(field name)"))
            yield from _strings(item, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, str(index)))


def _validator_for(event: str, frame: dict) -> Draft202012Validator:
    if event == "percept":
        data = frame.get("data")
        kind = data.get("kind") if isinstance(data, dict) else None
        if isinstance(kind, str) and kind in _PERCEPT_VALIDATORS:
            return _PERCEPT_VALIDATORS[kind]
        if isinstance(data, dict):
            kinds = " or ".join(PERCEPT_DATA)
            raise FrameError("invalid_frame", f"kind: must be {kinds}")
        if data is not None:
            raise FrameError("invalid_frame", "data: must be an object with a kind")
    return _VALIDATORS[event]


def validate_session_frame(frame: object) -> tuple[str, dict]:
    """The event name and data of a valid client frame, or FrameError naming the field
    at fault."""
    if not isinstance(frame, dict):
        raise FrameError("invalid_frame", "A frame is a JSON object with an event.")
    event = frame.get("event")
    if not isinstance(event, str) or event not in _VALIDATORS:
        known = ", ".join(SESSION_FRAMES)
        raise FrameError("unknown_event", f"Unknown event; sessions send {known}.")
    data = frame.get("data", {})
    check_frame(_validator_for(event, frame), frame, text=data)
    return event, data


def check_frame(validator: Draft202012Validator, frame: object, *, text: object) -> None:
    """FrameError naming the first field at fault: `frame` against the validator's schema,
    then every string in `text` (field names too) against the text rules."""
    error = next(iter(sorted(validator.iter_errors(frame), key=lambda e: e.path)), None)
    if error is not None:
        raise FrameError("invalid_frame", _field_message(error)[:300])
    for where, value in _strings(text):
        problem = text_problem(value)
        if problem is not None:
            raise FrameError("invalid_text", f"{where}: {problem}")
