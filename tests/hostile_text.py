"""Hostile strings, shared by the API, WebSocket, admin and wizard tests: each must be
refused with a message naming the field, on SQLite and PostgreSQL alike."""

# (label, text): text no boundary may accept.
HOSTILE_TEXT = [
    ("lone high surrogate", "x \ud800 y"),
    ("lone low surrogate", "x \udfff y"),
    ("NUL", "before\x00after"),
    ("bell", "ring\x07"),
    ("escape sequence", "\x1b[31mred\x1b[0m"),
    ("delete", "del\x7f"),
    ("C1 control", "next\x85line"),
]
HOSTILE_IDS = [label for label, _ in HOSTILE_TEXT]
HOSTILE_VALUES = [text for _, text in HOSTILE_TEXT]
# A form post is UTF-8, which cannot carry a lone surrogate: the rest, for forms.
FORM_HOSTILE_TEXT = [(label, text) for label, text in HOSTILE_TEXT if "surrogate" not in label]
FORM_HOSTILE_IDS = [label for label, _ in FORM_HOSTILE_TEXT]
FORM_HOSTILE_VALUES = [text for _, text in FORM_HOSTILE_TEXT]

# Text that looks odd but is a person's writing: always accepted.
FRIENDLY_TEXT = [
    "tab\tand\nnewline\r\n",
    "مرحبا with English",
    "emoji 🦋 and combining e\u0301",
    "zero\u200bwidth space",
]
