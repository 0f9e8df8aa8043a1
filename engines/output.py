"""Turning an engine's text into a validated draft.

Models wrap JSON in code fences or add prose around it; that is tolerated. Anything that
is not, in the end, one JSON object matching the draft's schema is an EngineOutputInvalid.
"""

import json
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from engines.errors import EngineOutputInvalid

Draft = TypeVar("Draft", bound=BaseModel)

_MAX_OUTPUT_CHARS = 200_000


def extract_json_object(text: str) -> dict:
    """The first JSON object in `text` that decodes, ignoring fences and surrounding prose."""
    if len(text) > _MAX_OUTPUT_CHARS:
        raise EngineOutputInvalid(f"the answer is {len(text)} characters long")
    decoder = json.JSONDecoder()
    start = text.find("{")
    while start != -1:
        try:
            value, _ = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            start = text.find("{", start + 1)
            continue
        if isinstance(value, dict):
            return value
        start = text.find("{", start + 1)
    raise EngineOutputInvalid("the answer contains no JSON object")


def _describe(error: ValidationError) -> str:
    problems = []
    for item in error.errors()[:5]:
        where = ".".join(str(part) for part in item["loc"]) or "answer"
        problems.append(f"{where}: {item['msg']}")
    return "; ".join(problems)


def validate_draft(data: object, draft_type: type[Draft]) -> Draft:
    """The draft in an already decoded answer, such as the input of a forced tool call."""
    try:
        return draft_type.model_validate(data)
    except ValidationError as error:
        raise EngineOutputInvalid(_describe(error)) from None


def parse_draft(text: str, draft_type: type[Draft]) -> Draft:
    return validate_draft(extract_json_object(text), draft_type)
