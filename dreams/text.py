"""Text hygiene at every boundary: what text the mind accepts, and how to say what is wrong.

A pure library (no Django), like `sigils` and `emotion`, so engines may use it on their
output. Accepted text is any Unicode a person can write: tab, newline and carriage return
are the only control characters allowed. Refused: lone surrogates (they cannot be encoded,
so a row holding one breaks every page and API answer that shows it), NUL (PostgreSQL
refuses it) and the other C0 and C1 control characters.
"""

import re

REPLACEMENT = "\ufffd"
# Deeper JSON than this is refused before it is parsed: a frame of a few kilobytes nested
# a thousand levels deep would exhaust the parser's recursion.
MAX_JSON_DEPTH = 32


class TextRefused(ValueError):
    """The text holds a character the mind does not accept; `message` says which and where."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# Exactly the refused characters: C0 controls but tab, newline and carriage return; DEL
# and the C1 controls (Unicode's "Cc" category); the surrogate range.
_REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def _described(character: str) -> str:
    if "\ud800" <= character <= "\udfff":
        return "an unpaired surrogate"
    if character == "\x00":
        return "a NUL character"
    return f"a control character (U+{ord(character):04X})"


def text_problem(text: str) -> str | None:
    """What is wrong with `text`, in product words, or None when it is clean."""
    found = _REFUSED.search(text)
    if found is None:
        return None
    return f"contains {_described(found.group())} at position {found.start() + 1}"


def clean_text(text: str) -> str:
    """`text` unchanged, or TextRefused naming the first bad character."""
    problem = text_problem(text)
    if problem is not None:
        raise TextRefused(problem)
    return text


def scrubbed(text: str) -> str:
    """`text` with every refused character replaced by U+FFFD: for repairing what was
    stored before these checks, and for showing text whose origin is not ours."""
    return _REFUSED.sub(REPLACEMENT, text)


def scrubbed_data(value: object) -> object:
    """`scrubbed` applied to every string in a JSON-like value (keys included)."""
    if isinstance(value, str):
        return scrubbed(value)
    if isinstance(value, list):
        return [scrubbed_data(item) for item in value]
    if isinstance(value, dict):
        return {scrubbed(str(key)): scrubbed_data(item) for key, item in value.items()}
    return value


# A JSON string (skipped whole) or one bracket.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def json_depth_exceeds(raw: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON text nests arrays or objects deeper than `limit`, counted without
    parsing it (brackets inside strings do not count)."""
    depth = 0
    for token in _JSON_TOKEN.finditer(raw):
        bracket = token.group()
        if bracket in "[{":
            depth += 1
            if depth > limit:
                return True
        elif bracket in "]}":
            depth -= 1
    return False
