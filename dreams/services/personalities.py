"""Writes to personalities: a new version, and which version is active.

A version's wording never changes once written, since moments and reviews cite it: an
edit, wherever it is made (the personality page, the admin, the API), is a new version,
a copy of the one it starts from with the changes. Activating a version is one
transaction of two conditional updates; the database's partial unique index refuses a
second active version, so two activations racing end with one of them active.
"""

import logging

from django.db import IntegrityError, transaction
from django.db.models import Max

from dreams.models import Personality
from dreams.selectors.personalities import personality_active, voice_of

logger = logging.getLogger(__name__)

# Writers racing for the next version number, or for the active flag, retry this often.
_ATTEMPTS = 5
DEFAULT_NAME = "Default"


def _next_version() -> int:
    return (Personality.objects.aggregate(last=Max("version"))["last"] or 0) + 1


def personality_create(
    *,
    created_by: str,
    based_on: Personality | None = None,
    name: str | None = None,
    cognition_voice: str | None = None,
    dreaming_voice: str | None = None,
    sigil_style: str | None = None,
    notes: str = "",
    activate: bool = False,
) -> Personality:
    """A new version: `based_on` (by default the active version) with the parts given
    here changed and the rest copied. Raises `ValidationError` naming the fields at fault
    (length, blank voices, control characters). With `activate`, the new version becomes
    the active one in the same transaction."""
    base = based_on or personality_active()
    voice = voice_of(base)
    personality = Personality(
        name=name if name is not None else (base.name if base else DEFAULT_NAME),
        cognition_voice=cognition_voice if cognition_voice is not None else voice.cognition,
        dreaming_voice=dreaming_voice if dreaming_voice is not None else voice.dreaming,
        sigil_style=sigil_style if sigil_style is not None else voice.sigil_style,
        notes=notes,
        created_by=created_by,
    )
    personality.full_clean(exclude=["version"])
    for attempt in range(_ATTEMPTS):
        try:
            with transaction.atomic():
                personality.pk = None
                personality.version = _next_version()
                personality.save(force_insert=True)
                if activate:
                    personality_activate(personality=personality)
        except IntegrityError:
            if attempt == _ATTEMPTS - 1:
                raise
            continue
        logger.info("Personality version %s written by %s.", personality.version, created_by)
        return personality
    raise AssertionError("unreachable")


def personality_activate(*, personality: Personality) -> Personality:
    """Make `personality` the active version (nothing changes when it already is). Raises
    `Personality.DoesNotExist` when it is gone."""
    for attempt in range(_ATTEMPTS):
        try:
            with transaction.atomic():
                Personality.objects.filter(is_active=True).exclude(pk=personality.pk).update(
                    is_active=False
                )
                if not Personality.objects.filter(pk=personality.pk).update(is_active=True):
                    raise Personality.DoesNotExist(f"No personality {personality.pk}.")
        except IntegrityError:
            # Another activation committed between our two updates: its version is now
            # the active one, and the next attempt turns it off.
            if attempt == _ATTEMPTS - 1:
                raise
            continue
        personality.is_active = True
        logger.info("Personality version %s is active.", personality.version)
        return personality
    raise AssertionError("unreachable")
