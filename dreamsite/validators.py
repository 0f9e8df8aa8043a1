"""Django's side of text hygiene (`dreams.text`): a field validator for models and forms,
so the admin and the wizard refuse what the sockets and the API refuse."""

from django.core.exceptions import ValidationError

from dreams.text import text_problem


def validate_clean_text(value: object) -> None:
    if isinstance(value, str) and (problem := text_problem(value)) is not None:
        raise ValidationError(f"This text {problem}.", code="unclean_text")
