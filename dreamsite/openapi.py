"""What the OpenAPI schema says beyond each view's own answers, true of every endpoint:
reads need no credentials; writes need them and may be refused (400 with the field's
errors, 401, 403, 429); a detail or a page that does not exist is a 404."""

from typing import Any

READ_METHODS = {"get", "head", "options"}
DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
FIELD_ERRORS = {
    "type": "object",
    "description": "Each refused field with its messages, or `detail` for a body that is "
    "not JSON.",
    "additionalProperties": {
        "oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}]
    },
}
ERRORS = {
    "400": ("The request was refused; the body says why, field by field.", FIELD_ERRORS),
    "401": ("No valid credentials (a staff session, or the control token).", DETAIL),
    "403": ("The control rule refused the write (demo, remote, not staff).", DETAIL),
    "404": ("No such item, or a cursor that is not valid.", DETAIL),
    "413": ("The request body is over the limit.", DETAIL),
    "429": ("Too many writes; try again later.", DETAIL),
}
READ_ERRORS = ("400", "404")


def _response(code: str) -> dict:
    description, schema = ERRORS[code]
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def document_errors_and_credentials(result: dict, **kwargs: Any) -> dict:
    """drf-spectacular postprocessing hook."""
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            reading = method in READ_METHODS
            for code in READ_ERRORS if reading else ERRORS:
                responses.setdefault(code, _response(code))
            if reading:
                operation["security"] = []
    return result
