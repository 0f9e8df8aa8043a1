"""Small factories for the tests: real models, real sigils, sensible defaults."""

import itertools

from dreams.models import MindMoment, MomentKind, Percept, PerceptKind, Session
from dreams.sigils import generate_sigil

_cycles = itertools.count(1)


def make_moment(*, with_sigil: bool = True, **fields: object) -> MindMoment:
    cycle = fields.pop("cycle", None) or next(_cycles) + 1_000_000
    defaults: dict[str, object] = {
        "kind": MomentKind.LIVE,
        "text": f"A moment at cycle {cycle}",
        "sigil_phrase": f"phrase {cycle}",
        "engine": "offline",
    }
    if with_sigil:
        sigil = generate_sigil(f"factory-{cycle}")
        defaults.update(sigil_code=sigil.code, sigil_commands=sigil.commands)
    defaults.update(fields)
    return MindMoment.objects.create(cycle=cycle, **defaults)


def make_session(**fields: object) -> Session:
    return Session.objects.create(**fields)


def make_percept(*, session: Session, kind: str = PerceptKind.VISUAL, **fields: object) -> Percept:
    payload = fields.pop("payload", {"description": "a hand waving"})
    return Percept.objects.create(session=session, kind=kind, payload=payload, **fields)


def replay_admin_form(**fields: str) -> dict[str, str]:
    """The dream settings admin form's replay fields as a browser posts them for the default
    settings (uniform, no theme); `fields` override them."""
    form = {
        "replay_mode": "uniform",
        "sequence_length": "8",
        "salience_intensity": "0.7",
        "salience_recency": "0.5",
        "salience_rarity": "0.7",
        "salience_half_life_hours": "168",
    }
    return {**form, **fields}
