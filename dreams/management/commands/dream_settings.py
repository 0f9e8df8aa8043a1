"""``manage.py dream_settings [--set FIELD=VALUE ...] [--finish-setup] [--json]``: read or
write the dream settings without a browser, through the same service and validation as
the setup wizard and the admin. Exit 0, or 2 with one line per refused value (then nothing
is written)."""

import json
from argparse import ArgumentParser
from datetime import datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.management.base import CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import BooleanField, CharField, DateTimeField, Field
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from dreams.models import SETTABLE_FIELDS, DreamSettings
from dreams.selectors.dream_settings import dream_settings_summary, phase_timeline_words
from dreams.services.dream_settings import dream_settings_change
from dreamsite.commands import ProductCommand

EXIT_REFUSED = 2
BOOLEAN_WORDS = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}
EMPTY_MEANS_ENVIRONMENT = ("cognitive_cycle_ms", "dream_cycle_ms", "session_timeout_ms")


DATETIME_HELP = "give a date or a date and time, e.g. 2026-12-01 or 2026-12-01T18:00+01:00"


def parse_moment(text: str, zone: ZoneInfo) -> datetime | None:
    """An ISO 8601 date or date and time; without an offset, a wall-clock time in `zone`
    (the dream time zone), a date alone its midnight. None when it is neither."""
    try:
        moment = parse_datetime(text)
        if moment is None:
            day = parse_date(text)
            moment = None if day is None else datetime(day.year, day.month, day.day)
    except ValueError:  # well formed but impossible, e.g. 2026-02-30
        return None
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment, zone)
    return moment


def parse_assignments(
    assignments: list[str], *, zone: ZoneInfo | None = None
) -> tuple[dict[str, object], list[str]]:
    """The typed values of `FIELD=VALUE` pairs, and the errors of those that are not.
    Times without an offset are read in `zone`: the time zone set alongside them, else the
    stored dream time zone."""
    values: dict[str, object] = {}
    errors: list[str] = []
    for assignment in assignments:
        name, equals, text = assignment.partition("=")
        name = name.strip()
        if not equals:
            errors.append(f"{assignment}: write FIELD=VALUE, e.g. cadence=interval.")
            continue
        if name not in SETTABLE_FIELDS:
            errors.append(f"{name}: not a dream setting; one of {', '.join(SETTABLE_FIELDS)}.")
            continue
        if text == "" and name in EMPTY_MEANS_ENVIRONMENT:
            values[name] = None  # the server's environment value
            continue
        # SETTABLE_FIELDS are concrete fields of DreamSettings, never relations.
        field = cast("Field[Any, Any]", DreamSettings._meta.get_field(name))
        if text.strip() == "":
            if field.null:
                values[name] = None  # e.g. a theme's bound: then it does not restrict
            elif field.blank and isinstance(field, CharField):
                values[name] = ""
            else:
                errors.append(f"{name}: give a value; this setting cannot be empty.")
            continue
        if field.choices:
            choices = [str(value) for value, _label in field.flatchoices]
            if text.strip() in choices:
                values[name] = text.strip()
            else:
                errors.append(
                    f"{name}: one of {', '.join(choice for choice in choices if choice)}."
                )
            continue
        if isinstance(field, DateTimeField):
            moment = parse_moment(text.strip(), zone or DreamSettings.load().zone)
            if moment is None:
                errors.append(f"{name}: {DATETIME_HELP}.")
            else:
                values[name] = moment
            continue
        if isinstance(field, BooleanField):
            answer = BOOLEAN_WORDS.get(text.strip().lower())
            if answer is None:
                errors.append(f"{name}: give true or false.")
            else:
                values[name] = answer
            continue
        try:
            values[name] = field.to_python(text)
        except ValidationError as error:
            errors.append(f"{name}: {' '.join(error.messages)}")
    return values, errors


class Command(ProductCommand):
    help = (
        "Show the dream settings; --set FIELD=VALUE (repeatable) and --finish-setup write "
        "them with the setup wizard's validation. Exit 2 when a value is refused."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--set",
            action="append",
            default=[],
            dest="assignments",
            metavar="FIELD=VALUE",
            help=f"One of {', '.join(SETTABLE_FIELDS)}; empty timing means the environment's.",
        )
        parser.add_argument(
            "--finish-setup",
            action="store_true",
            help="Mark setup as finished, so dream runs may start.",
        )
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(
        self,
        *args: object,
        assignments: list[str],
        finish_setup: bool,
        as_json: bool,
        **options: object,
    ) -> None:
        row = DreamSettings.load()
        if assignments or finish_setup:
            values, errors = parse_assignments(assignments, zone=_zone_set(assignments))
            if not errors:
                try:
                    row = dream_settings_change(changes=values, finish_setup=finish_setup)
                except ValidationError as error:
                    errors = [
                        " ".join(messages)
                        if name == NON_FIELD_ERRORS
                        else f"{name}: {' '.join(messages)}"
                        for name, messages in error.message_dict.items()
                    ]
            if errors:
                raise CommandError(
                    "Nothing was changed.\n" + "\n".join(errors), returncode=EXIT_REFUSED
                )
        data = dream_settings_summary(row)
        if as_json:
            self.stdout.write(json.dumps(data, cls=DjangoJSONEncoder))
            return
        width = max(len(name) for name in data)
        for name, value in data.items():
            self.stdout.write(f"{name:<{width}}  {_shown(name, value)}")
        if not row.setup_complete:
            self.stdout.write(
                "Setup is not finished: dream runs wait. Finish it with --finish-setup "
                "(or the setup wizard at /setup/)."
            )
        elif finish_setup:
            self.stdout.write(
                "Setup is finished. A running server (make run, manage.py serve or "
                "run_conductor) dreams when a dream is due; without one, install the cron "
                "line: python manage.py install_dream_cron --apply."
            )


def _zone_set(assignments: list[str]) -> ZoneInfo | None:
    """The time zone these assignments set, when it is a known one."""
    for assignment in reversed(assignments):
        name, _equals, text = assignment.partition("=")
        if name.strip() == "time_zone":
            try:
                return ZoneInfo(text.strip())
            except (ValueError, KeyError):  # refused with its own error
                return None
    return None


def _shown(name: str, value: object) -> object:
    if value is None and name in EMPTY_MEANS_ENVIRONMENT:
        return "(the environment's)"
    if value in (None, "") and name.startswith("theme_"):
        return "(not set: does not restrict)"
    if name == "phase_timeline_in_force" and isinstance(value, dict):
        return phase_timeline_words(value)
    if isinstance(value, dict):
        return ", ".join(f"{key} {shown}" for key, shown in value.items())
    return value
