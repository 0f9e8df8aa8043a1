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

# Text that looks odd but is a person's writing: always accepted.
FRIENDLY_TEXT = [
    "tab\tand\nnewline\r\n",
    "مرحبا with English",
    "emoji 🦋 and combining e\u0301",
    "zero\u200bwidth space",
]
