"""Writes to personalities: a new version, and which version is active.

A version's wording never changes once written, since moments and reviews cite it: an
edit, wherever it is made (the personality page, the admin, the API), is a new version,
a copy of the one it starts from with the changes. Activating a version is one
transaction of two conditional updates. Writers of personalities take turns (see
`_writers_take_turns`), so each new version gets the next number and activations racing
end with the last one active; the database's partial unique index refuses a second active
version whatever happens.
"""

import logging

from django.db import connection, transaction
from django.db.models import Max

from dreams.models import Personality
from dreams.selectors.personalities import personality_active, voice_of

logger = logging.getLogger(__name__)

DEFAULT_NAME = "Default"


def _writers_take_turns() -> None:
    """Hold the personalities' write lock until the transaction ends. SQLite has one
    writer at a time already (its transactions begin IMMEDIATE). On PostgreSQL a lock mode
    that conflicts with itself and with other writes, not with reads nor with the foreign
    key checks of moments and reviews being written: row locks alone let two activations
    each wait for the other."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(Personality._meta.db_table)
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")


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
    with transaction.atomic():
        _writers_take_turns()
        personality.version = (Personality.objects.aggregate(last=Max("version"))["last"] or 0) + 1
        personality.save(force_insert=True)
        if activate:
            personality_activate(personality=personality)
    logger.info("Personality version %s written by %s.", personality.version, created_by)
    return personality


@transaction.atomic
def personality_activate(*, personality: Personality) -> Personality:
    """Make `personality` the active version (nothing changes when it already is). Raises
    `Personality.DoesNotExist` when it is gone."""
    _writers_take_turns()
    Personality.objects.filter(is_active=True).exclude(pk=personality.pk).update(is_active=False)
    if not Personality.objects.filter(pk=personality.pk).update(is_active=True):
        raise Personality.DoesNotExist(f"No personality {personality.pk}.")
    personality.is_active = True
    logger.info("Personality version %s is active.", personality.version)
    return personality
