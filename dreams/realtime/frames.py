"""One broadcast, numbered and encoded once: what travels from the conductor to every web
process's hub (over Redis as one pub/sub message)."""

import json
from dataclasses import dataclass

from dreams.realtime.events import Event, InlineSdf, encode_frame


@dataclass(frozen=True)
class EncodedEvent:
    """`with_sdf` is the variant for observers who asked for inline distance fields (None
    when the event carries no sigil)."""

    seq: int
    event: str
    frame: str
    with_sdf: str | None = None

    @classmethod
    def of(cls, event: Event, seq: int, *, inline_sdf: InlineSdf | None = None) -> "EncodedEvent":
        data = event.wire()
        with_sdf = None
        if inline_sdf is not None:
            with_sdf = encode_frame(event.name, {**data, "sdf": inline_sdf.wire()}, seq)
        return cls(seq, event.name, encode_frame(event.name, data, seq), with_sdf)

    def to_wire(self) -> str:
        return json.dumps([self.seq, self.event, self.frame, self.with_sdf])

    @classmethod
    def from_wire(cls, payload: str | bytes) -> "EncodedEvent":
        seq, event, frame, with_sdf = json.loads(payload)
        return cls(seq, event, frame, with_sdf)

    def text_for(self, wants_sdf: bool) -> str:
        return self.with_sdf if (wants_sdf and self.with_sdf is not None) else self.frame
