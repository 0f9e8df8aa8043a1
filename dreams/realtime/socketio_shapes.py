"""The source system's socket.io shapes, translated both ways (docs/events.md, "socket.io").

Out: each native event keeps its name, and its `data` becomes the socket.io event's one
argument, a superset of the source system's payload. Where names differ:

- `perceptReceived`: `kind` becomes `type`, the percept's fields go under `data`, and a
  `timestamp` is added: `{sessionId, type, data: {description | transcript, valence,
  arousal}, timestamp}`.
- `cycleCompleted`: `durationMs` becomes `duration`.
- `cycleFailed`: `message` becomes `error` (`reason` is kept).
- `sessionsUpdate`: `{count}` gains the open sessions, `sessions: [{id, status}]`
  (`sessions_update`).
- Every other event goes out unchanged.

In: a perceptor's frames in the source system's shapes are checked, then translated into
native frames that `dreams.protocol` validates like any other, so both protocols accept
exactly the same percepts:

- `startSession {sessionId}` -> `startSession {client: sessionId}`.
- `percept {sessionId, type, data}` -> `percept {kind: type, description, valence,
  arousal}` for a visual percept (its `description`, else its `action`), `{kind: type,
  transcript, valence, arousal}` for an audio one (its `transcript`, else its `analysis`).
- `endSession {sessionId}` -> `endSession`.

The source's display-only percept fields (`emoji`, `sigilPhrase`, `drawCalls`,
`sigilDrawCalls`, `tone`, `sentiment`, `confidence`, `timestamp`) are checked and not kept.
"""

from datetime import datetime
from typing import Any, Final

from django.utils import timezone
from jsonschema import Draft202012Validator

from dreams.protocol import FrameError, check_frame, validate_session_frame

# The source's perceptors name their sessions ("perceptor-1733000000000").
_SESSION_ID = {"type": "string", "minLength": 1, "maxLength": 80}
_WORDS = {"type": "string", "maxLength": 2000}
_SHORT = {"type": "string", "maxLength": 200}
_CANVAS = {"type": "string", "maxLength": 8000}
_NUMBER = {"type": "number"}

# The fields each kind of percept may carry; its text is the first of `text_from` present.
_PERCEPT_FIELDS: Final = {
    "visual": {
        "description": _WORDS,
        "action": _WORDS,
        "emoji": _SHORT,
        "sigilPhrase": _SHORT,
        "drawCalls": _CANVAS,
        "timestamp": _SHORT,
        "valence": _NUMBER,
        "arousal": _NUMBER,
    },
    "audio": {
        "transcript": _WORDS,
        "analysis": _WORDS,
        "tone": _SHORT,
        "sentiment": _SHORT,
        "confidence": _NUMBER,
        "emoji": _SHORT,
        "sigilPhrase": _SHORT,
        "sigilDrawCalls": _CANVAS,
        "timestamp": _SHORT,
        "valence": _NUMBER,
        "arousal": _NUMBER,
    },
}
_TEXT_FROM: Final = {"visual": ("description", "action"), "audio": ("transcript", "analysis")}
_FEELING = ("valence", "arousal")


def _object(properties: dict[str, Any], *required: str) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


def _percept(kind: str) -> dict[str, Any]:
    return _object(
        {
            "sessionId": _SESSION_ID,
            "type": {"const": kind},
            "data": _object(_PERCEPT_FIELDS[kind]),
            "timestamp": _SHORT,
        },
        "sessionId",
        "type",
        "data",
    )


_SESSION_FRAME = Draft202012Validator(_object({"sessionId": _SESSION_ID}))
_PERCEPT = {kind: Draft202012Validator(_percept(kind)) for kind in _PERCEPT_FIELDS}
_PERCEPT_ENVELOPE = Draft202012Validator(
    _object(
        {"sessionId": _SESSION_ID, "type": {"enum": list(_PERCEPT_FIELDS)}},
        "sessionId",
        "type",
    )
    | {"additionalProperties": True}
)


def session_frame(payload: object) -> dict[str, Any]:
    """`startSession`, `endSession` and `ping`: `{sessionId}`, which may be left out."""
    payload = {} if payload is None else payload
    check_frame(_SESSION_FRAME, payload, text=payload)
    assert isinstance(payload, dict)
    return payload


def start_session(payload: object) -> tuple[str | None, dict[str, Any]]:
    """The source's session id (None when the perceptor gave none) and the native
    `startSession` data."""
    session_id = session_frame(payload).get("sessionId")
    data = {"client": session_id} if session_id else {}
    _, native = validate_session_frame({"event": "startSession", "data": data})
    return session_id, native


def percept(payload: object) -> tuple[str, dict[str, Any]]:
    """The source's session id and the native `percept` data (`kind` and its fields)."""
    check_frame(_PERCEPT_ENVELOPE, payload, text={})
    assert isinstance(payload, dict)
    kind = payload["type"]
    check_frame(_PERCEPT[kind], payload, text=payload)
    fields = payload["data"]
    text_field = _TEXT_FROM[kind][0]
    text = next((fields[name] for name in _TEXT_FROM[kind] if fields.get(name)), None)
    if text is None:
        raise FrameError("invalid_frame", f"{' or '.join(_TEXT_FROM[kind])}: required")
    feeling = {name: fields[name] for name in _FEELING if name in fields}
    _, native = validate_session_frame(
        {"event": "percept", "data": {"kind": kind, text_field: text, **feeling}}
    )
    return payload["sessionId"], native


# -- out --------------------------------------------------------------------------------


def _percept_received(data: dict[str, Any], now: datetime) -> dict[str, Any]:
    fields = {name: value for name, value in data.items() if name not in {"sessionId", "kind"}}
    return {
        "sessionId": data["sessionId"],
        "type": data["kind"],
        "data": fields,
        "timestamp": now.isoformat(),
    }


def _renamed(old: str, new: str) -> Any:
    def rename(data: dict[str, Any], now: datetime) -> dict[str, Any]:
        return {(new if name == old else name): value for name, value in data.items()}

    return rename


_OUT = {
    "perceptReceived": _percept_received,
    "cycleCompleted": _renamed("durationMs", "duration"),
    "cycleFailed": _renamed("message", "error"),
}


def source_payload(event: str, data: dict[str, Any]) -> dict[str, Any]:
    """The socket.io payload of a native event's data (`sessionsUpdate`'s list of sessions
    is added by `sessions_update`, which reads them)."""
    shape = _OUT.get(event)
    return data if shape is None else shape(data, timezone.now())


def sessions_update(count: int, session_ids: list[str]) -> dict[str, Any]:
    """The source's `sessionsUpdate`: the count, and each open session by its perceptor's
    name (or its id)."""
    return {"count": count, "sessions": [{"id": id, "status": "active"} for id in session_ids]}


def cycle_status(*, state: str, conducting: bool, interval_ms: int) -> dict[str, Any]:
    """The source's reply to `getCycleStatus`. The next cycle's time is not known outside
    the conductor's timer: null, as the source system's own latest reply has it."""
    return {
        "isRunning": conducting and state != "IDLE",
        "intervalMs": interval_ms,
        "nextCycleAt": None,
        "msUntilNextCycle": None,
        "state": state,
        "mode": "DREAM" if state == "DREAMING" else "LIVE",
    }
