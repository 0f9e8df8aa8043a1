"""The data of the events observers receive about a mind moment (see docs/events.md)."""

import base64

from django.utils import timezone

from dreams.conductor.leader import current_snapshot
from dreams.models import MindMoment, MomentKind
from dreams.sigil_links import sigil_image_urls
from dreams.sigils import sdf_array

INLINE_SDF_SIZE = 256


def sigil_data(moment: MindMoment, *, is_dream: bool) -> dict:
    """The seed's `sigil` fields plus the normalized commands and image URLs."""
    return {
        "cycle": moment.cycle,
        "momentId": moment.pk,
        "sigilCode": moment.sigil_code,
        "sigilPhrase": moment.sigil_phrase,
        "isDream": is_dream,
        "timestamp": timezone.now().isoformat(),
        "commands": moment.sigil_commands,
        "images": sigil_image_urls(moment),
    }


def observer_snapshot() -> tuple[int | None, dict]:
    """The `seq` the conductor recorded with its state (None when no conductor ever led)
    and the `snapshot` data (docs/events.md): what an observer gets on connect, and what a
    page shows before its socket is open."""
    lease = current_snapshot()
    if lease is None:
        return None, {"state": None, "sessions": 0, "lastSigil": None, "conducting": False}
    moment = lease.last_sigil_moment
    data = {
        "state": lease.state or None,
        "sessions": lease.sessions,
        "lastSigil": sigil_data(moment, is_dream=lease.last_sigil_is_dream) if moment else None,
        "conducting": lease.expires_at > timezone.now(),
    }
    return lease.seq, data


def inline_sdf(moment: MindMoment) -> dict:
    pixels = sdf_array(moment.sigil_commands, size=INLINE_SDF_SIZE)
    return {
        "width": INLINE_SDF_SIZE,
        "height": INLINE_SDF_SIZE,
        "data": base64.b64encode(pixels.tobytes()).decode(),
    }


def mind_moment_data(moment: MindMoment, *, is_dream: bool) -> dict:
    return {
        "cycle": moment.cycle,
        "momentId": moment.pk,
        "kind": moment.kind,
        "mindMoment": moment.text,
        "sigilPhrase": moment.sigil_phrase,
        "circumplex": {"valence": moment.valence, "arousal": moment.arousal},
        "colour": moment.colour,
        "engine": moment.engine,
        "isDream": is_dream or moment.kind == MomentKind.DREAM,
        "createdAt": moment.created_at.isoformat(),
        "timestamp": timezone.now().isoformat(),
    }
