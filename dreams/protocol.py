"""The WebSocket protocol's client frames, as JSON schemas (docs/events.md shows them).

Frames are validated before anything happens; a frame that fails gets an `error` event
naming the problem and changes nothing.
"""

from jsonschema import Draft202012Validator

_UNIT = {"type": "number", "minimum": -1, "maximum": 1}
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

PERCEPT = {
    "type": "object",
    "properties": {
        "event": {"const": "percept"},
        "data": {
            "oneOf": [
                {
                    "type": "object",
                    "properties": {
                        "kind": {"const": "visual"},
                        "description": _TEXT,
                        "valence": _UNIT,
                        "arousal": _UNIT,
                    },
                    "required": ["kind", "description"],
                    "additionalProperties": False,
                },
                {
                    "type": "object",
                    "properties": {
                        "kind": {"const": "audio"},
                        "transcript": _TEXT,
                        "valence": _UNIT,
                        "arousal": _UNIT,
                    },
                    "required": ["kind", "transcript"],
                    "additionalProperties": False,
                },
            ]
        },
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


class FrameError(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def validate_session_frame(frame: object) -> tuple[str, dict]:
    """The event name and data of a valid client frame, or FrameError."""
    if not isinstance(frame, dict):
        raise FrameError("invalid_frame", "A frame is a JSON object with an event.")
    event = frame.get("event")
    validator = _VALIDATORS.get(event) if isinstance(event, str) else None
    if validator is None:
        known = ", ".join(SESSION_FRAMES)
        raise FrameError("unknown_event", f"Unknown event; sessions send {known}.")
    error = next(iter(sorted(validator.iter_errors(frame), key=lambda e: e.path)), None)
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "frame"
        raise FrameError("invalid_frame", f"{where}: {error.message}"[:300])
    return event, frame.get("data", {})
