"""Strict input for every write endpoint: a JSON object with only the documented fields,
booleans that are JSON booleans, numbers that are JSON numbers, text that is a JSON string
and passes text hygiene. Anything else is a 400 naming the field."""

from collections.abc import Mapping
from typing import Any

from django.utils.dateparse import parse_datetime
from rest_framework import serializers

from dreams.text import text_problem


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "Must be true or false (a JSON boolean)."}

    def to_internal_value(self, data: Any) -> bool:
        if isinstance(data, bool):
            return data
        self.fail("invalid")
        raise AssertionError  # fail() always raises


class StrictIntegerField(serializers.IntegerField):
    default_error_messages = {"invalid": "Must be a whole number (a JSON number)."}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictFloatField(serializers.FloatField):
    default_error_messages = {"invalid": "Must be a number (a JSON number)."}

    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictDateTimeField(serializers.DateTimeField):
    """An ISO 8601 date and time with its offset (2026-12-01T18:00:00+01:00 or ...Z): a
    time without one could mean any zone."""

    default_error_messages = {
        "invalid": "Must be an ISO 8601 date and time with an offset, e.g. "
        "2026-12-01T18:00:00+01:00 (a JSON string).",
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(input_formats=["iso-8601"], **kwargs)

    def to_internal_value(self, value: Any) -> Any:
        if not isinstance(value, str):
            self.fail("invalid")
        try:
            moment = parse_datetime(value.strip())
        except ValueError:  # well formed but impossible, e.g. February 30th
            moment = None
        if moment is None or moment.tzinfo is None:
            self.fail("invalid")
        return super().to_internal_value(value)


class StrictCharField(serializers.CharField):
    default_error_messages = {"invalid": "Must be text (a JSON string)."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        value = super().to_internal_value(data)
        problem = text_problem(value)
        if problem is not None:
            raise serializers.ValidationError(f"This text {problem}.")
        return value


class StrictInputSerializer(serializers.Serializer):
    """The input of a write: refuses what is not a JSON object and any unknown field."""

    def run_validation(self, data: Any = serializers.empty) -> Any:
        if data is None:  # a JSON null, which DRF would take as "nothing sent"
            raise _not_an_object()
        return super().run_validation(data)

    def to_internal_value(self, data: Any) -> dict:
        if not isinstance(data, Mapping):
            raise _not_an_object()
        unknown = sorted(set(data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {name: ["Unknown field."] for name in unknown}, code="unknown_field"
            )
        return super().to_internal_value(data)


def _not_an_object() -> serializers.ValidationError:
    return serializers.ValidationError({"non_field_errors": ["Send a JSON object."]})
