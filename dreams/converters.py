"""Path converters that refuse values the database could not hold (no 500 on huge ids),
registered when this module is imported: `<id:pk>` in any URLconf."""

from django.urls import register_converter


class DatabaseIdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(DatabaseIdConverter, "id")
