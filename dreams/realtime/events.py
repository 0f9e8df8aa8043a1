"""Every event observers and sessions receive, one typed model each.

A model's fields are the `data` of its frame (`{"event": NAME, "seq": N, "data": {...}}`),
snake_case here and camelCase on the wire. Optional fields are absent from the frame
unless given (`exclude_unset`): `reason` only with PAUSED, a cycle's `reason` only when
it was skipped. The JSON schemas in docs/events.md are generated from these models
(`python -m dreams.realtime.schema_docs`), and the tests validate every frame they
receive against them (`parse_frame`).
"""

import base64
import json
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Final, Literal, cast

from django.utils import timezone
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer
from pydantic.alias_generators import to_camel

from dreams.replay import MODE_LABELS, Replayed

if TYPE_CHECKING:
    from dreams.models import DreamRun, MindMoment

INLINE_SDF_SIZE: Final = 256

# Times go out as ISO 8601 text (what `datetime.isoformat()` writes).
Time = Annotated[
    datetime, PlainSerializer(lambda value: value.isoformat(), return_type=str, when_used="json")
]
State = Literal["IDLE", "AGGREGATING", "COGNIZING", "VISUALIZING", "DREAMING"]
PerceptKind = Literal["visual", "audio"]
# dreams.conductor.phases.Phase's values (tests/test_event_types.py keeps them equal).
PhaseName = Literal["PERCEPTS", "SPOOL", "SIGILIN", "SIGILHOLD", "SIGILOUT", "RESET"]
# The values of the models' choices (tests/test_event_types.py keeps them equal), which
# the columns hold: `of` below reads them back as these types.
MomentKindValue = Literal["live", "dream", "seed"]
ReplayModeValue = Literal["uniform", "theme", "sequence", "salience", "last_dream"]
TriggerValue = Literal["schedule", "dashboard", "admin", "cli", "api"]
RunStatusValue = Literal["queued", "running", "written", "skipped", "failed", "abandoned"]
SessionEndReasonValue = Literal[
    "ended", "timed_out", "disconnected", "server_restart", "server_shutdown"
]
ErrorReason = Literal[
    "invalid_json",
    "unknown_event",
    "invalid_frame",
    "invalid_text",
    "binary_frame",
    "too_deep",
    "frame_too_large",
    "rate_limited",
    "no_session",
    "already_started",
    "session_ended",
    "unauthorized",
    "read_only",
]


class Payload(BaseModel):
    """A part of an event's data (camelCase on the wire, nothing else accepted)."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )

    def wire(self) -> dict[str, Any]:
        """Plain JSON types, camelCase, optional fields only if set."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


class Event(Payload):
    """One event: `name` is the frame's `event`."""

    name: ClassVar[str]
    notes: ClassVar[str] = ""  # what docs/events.md says below the schema

    def frame(self, seq: int) -> str:
        return encode_frame(self.name, self.wire(), seq)


def encode_frame(name: str, data: dict[str, Any], seq: int) -> str:
    """The text of one frame (data already in plain JSON types)."""
    return json.dumps({"event": name, "seq": seq, "data": data})


# -- observer events --------------------------------------------------------------------


class SigilImages(Payload):
    svg: str
    png: str
    sdf: str


class InlineSdf(Payload):
    width: Literal[256] = Field(description="pixels")
    height: Literal[256]
    data: str = Field(
        description="width*height bytes, row-major, 8-bit (128 at the edge), base64",
        json_schema_extra={"contentEncoding": "base64"},
    )

    @classmethod
    def of(cls, moment: "MindMoment") -> "InlineSdf":
        from dreams.sigils import sdf_array

        pixels = sdf_array(moment.sigil_commands, size=INLINE_SDF_SIZE)
        data = base64.b64encode(pixels.tobytes()).decode()
        return cls(width=INLINE_SDF_SIZE, height=INLINE_SDF_SIZE, data=data)


class ColorTriad(Payload):
    """The source system's colour triad of a moment (its name `color`), derived from the
    reading (dreams.emotion.circumplex_triad)."""

    primary: str = Field(pattern="^#[0-9a-f]{6}$", description="the reading's own colour")
    secondary: str = Field(pattern="^#[0-9a-f]{6}$", description="a deep shade: a ground")
    accent: str = Field(pattern="^#[0-9a-f]{6}$", description="a pale tint: lines on the ground")

    @classmethod
    def of(cls, moment: "MindMoment") -> "ColorTriad":
        triad = moment.colour_triad
        return cls(primary=triad.primary, secondary=triad.secondary, accent=triad.accent)


class Replay(Payload):
    mode: ReplayModeValue
    label: str = Field(description="the mode in a few words, for a caption")
    theme: str | None = Field(
        default=None, description="last_dream: the name of the dream theme being replayed"
    )
    step: int | None = Field(default=None, description="sequence: 1-based place in the run")
    length: int | None = Field(
        default=None, description="sequence: the run's length (the step of its last moment)"
    )

    @classmethod
    def of(cls, replayed: Replayed) -> "Replay":
        return cls(
            mode=cast(ReplayModeValue, replayed.mode),
            label=MODE_LABELS.get(replayed.mode, replayed.mode),
            theme=replayed.theme,
            step=replayed.step,
            length=replayed.length,
        )


class Sigil(Event):
    name = "sigil"
    notes = (
        "The seed's fields plus the normalized commands and image URLs; `sdf` only for "
        "observers that connected with `?sdf=1`."
    )

    cycle: int
    moment_id: int
    sigil_code: str = Field(description="source, for display only: never evaluate it")
    sigil_phrase: str
    is_dream: bool = Field(description="true when the dream loop replays a past moment")
    timestamp: Time
    commands: list[Any] = Field(
        description="the normalized command list (docs/sigils.md); draw this"
    )
    images: SigilImages | None
    color: ColorTriad
    sdf: InlineSdf | None = Field(default=None, description="only with ?sdf=1")
    replay: Replay | None = Field(
        default=None, description="a dream loop replay: the replay mode that chose it"
    )

    @classmethod
    def of(
        cls, moment: "MindMoment", *, is_dream: bool, replayed: Replayed | None = None
    ) -> "Sigil":
        from dreams.sigil_links import sigil_image_urls

        images = sigil_image_urls(moment)
        return cls(
            cycle=moment.cycle,
            moment_id=moment.pk,
            sigil_code=moment.sigil_code,
            sigil_phrase=moment.sigil_phrase,
            is_dream=is_dream,
            timestamp=timezone.now(),
            commands=moment.sigil_commands,
            images=SigilImages(**images) if images else None,
            color=ColorTriad.of(moment),
            replay=Replay.of(replayed) if replayed else None,
        )


class Snapshot(Event):
    name = "snapshot"
    notes = (
        "Sent on connect. The frame's `seq` is the current one: the next broadcast has `seq + 1`."
    )

    state: State | None
    sessions: int = Field(ge=0)
    last_sigil: Sigil | None
    conducting: bool = Field(description="a conductor holds the lease")


class CognitiveStateChanged(Event):
    name = "cognitiveState"

    state: State | Literal["PAUSED"]
    reason: str | None = Field(default=None, description="with PAUSED: why, as product copy")


class Circumplex(Payload):
    valence: float
    arousal: float


class MindMomentAnnounced(Event):
    name = "mindMoment"

    cycle: int
    moment_id: int
    kind: MomentKindValue
    mind_moment: str
    sigil_phrase: str
    circumplex: Circumplex
    colour: str = Field(pattern="^#[0-9a-f]{6}$")
    color: ColorTriad
    engine: str
    is_dream: bool
    created_at: Time
    timestamp: Time
    replay: Replay | None = Field(
        default=None, description="a dream loop replay: the replay mode that chose it"
    )

    @classmethod
    def of(
        cls, moment: "MindMoment", *, is_dream: bool, replayed: Replayed | None = None
    ) -> "MindMomentAnnounced":
        return cls(
            cycle=moment.cycle,
            moment_id=moment.pk,
            kind=cast(MomentKindValue, moment.kind),
            mind_moment=moment.text,
            sigil_phrase=moment.sigil_phrase,
            circumplex=Circumplex(valence=moment.valence, arousal=moment.arousal),
            colour=moment.colour,
            color=ColorTriad.of(moment),
            engine=moment.engine,
            is_dream=is_dream or moment.kind == "dream",
            created_at=moment.created_at,
            timestamp=timezone.now(),
            replay=Replay.of(replayed) if replayed else None,
        )


class PhaseStarted(Event):
    name = "phase"
    notes = (
        "Six per cycle of either loop, in order, each at its start: `PERCEPTS`, `SPOOL`, "
        "`SIGILIN` (the cycle's `sigil` and `mindMoment` go out just before it), "
        "`SIGILHOLD`, `SIGILOUT`, `RESET`. The durations add up to the loop's cycle (the "
        "timeline below)."
    )

    phase: PhaseName
    mode: Literal["LIVE", "DREAM"]
    next_phase: PhaseName
    duration: int = Field(ge=0, description="milliseconds")
    cycle_number: int = Field(
        description="the cycle the loop works on: the replayed moment's when dreaming, the "
        "next moment's when live"
    )
    start_time: Time
    is_dream: bool


class SessionsUpdate(Event):
    name = "sessionsUpdate"

    count: int = Field(ge=0)


class PerceptReceived(Event):
    name = "perceptReceived"

    session_id: str
    kind: PerceptKind
    description: str | None = None
    transcript: str | None = None
    valence: float | None = None
    arousal: float | None = None


class CycleStarted(Event):
    name = "cycleStarted"

    cycle: int = Field(description="the cycle a moment would get")
    percept_count: int


class CycleCompleted(Event):
    name = "cycleCompleted"
    notes = (
        'A cycle with no new percepts skips cognition: `{"skipped": true, "reason": '
        '"No new percepts since the last cycle."}`.'
    )

    cycle: int
    skipped: bool
    reason: str | None = Field(default=None, description="why it was skipped")
    moment_id: int | None = None
    percept_count: int | None = None
    duration_ms: int | None = None


class CycleFailed(Event):
    name = "cycleFailed"
    notes = "The percepts are kept and go into the next cycle."

    cycle: int
    reason: Literal["engine_not_ready", "timeout", "invalid_output", "engine_error", "error"]
    message: str = Field(description="product copy, no provider details")


class DreamRunChanged(Event):
    name = "dreamRun"
    notes = (
        "Published when a run starts, changes stage (`dreaming`, `writing`) and finishes. "
        "The finished review is at `/api/dream/reviews/{reviewId}/`."
    )

    id: int
    trigger: TriggerValue
    status: RunStatusValue
    reason: str
    stage: str
    engine: str
    dry_run: bool
    material_count: int
    review_id: int | None
    started_at: Time | None
    finished_at: Time | None

    @classmethod
    def of(cls, run: "DreamRun") -> "DreamRunChanged":
        return cls(
            id=run.pk,
            trigger=cast(TriggerValue, run.trigger),
            status=cast(RunStatusValue, run.status),
            reason=run.reason,
            stage=run.stage,
            engine=run.engine,
            dry_run=run.dry_run,
            material_count=run.material_count,
            review_id=run.review_id,
            started_at=run.started_at,
            finished_at=run.finished_at,
        )


# -- session replies (seq 0) ------------------------------------------------------------


class SessionStarted(Event):
    name = "sessionStarted"

    session_id: str


class SessionEnded(Event):
    name = "sessionEnded"

    session_id: str
    reason: SessionEndReasonValue


class PerceptAccepted(Event):
    name = "perceptAccepted"
    notes = (
        "Sent only after the percept is in the database: an acknowledged percept survives "
        "a crash of any process."
    )

    percept_id: int
    received_at: Time


class Error(Event):
    name = "error"

    reason: ErrorReason
    message: str


OBSERVER_EVENTS: tuple[type[Event], ...] = (
    Snapshot,
    CognitiveStateChanged,
    Sigil,
    MindMomentAnnounced,
    PhaseStarted,
    SessionsUpdate,
    PerceptReceived,
    CycleStarted,
    CycleCompleted,
    CycleFailed,
    DreamRunChanged,
)
SESSION_REPLIES: tuple[type[Event], ...] = (SessionStarted, SessionEnded, PerceptAccepted, Error)
EVENTS: dict[str, type[Event]] = {event.name: event for event in OBSERVER_EVENTS + SESSION_REPLIES}


def parse_frame(text: str | bytes) -> tuple[str, int, Event]:
    """A frame's event name, seq and data, validated against its event's model (raises
    KeyError for an unknown event, pydantic's ValidationError for bad data)."""
    frame = json.loads(text)
    if set(frame) != {"event", "seq", "data"}:
        raise ValueError(f"a frame has event, seq and data; this one has {sorted(frame)}")
    model = EVENTS[frame["event"]]
    return frame["event"], frame["seq"], model.model_validate(frame["data"])
