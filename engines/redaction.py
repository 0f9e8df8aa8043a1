"""One function every engine error passes through before anyone sees it.

Provider errors quote request headers, keys, local paths and environment values; none
of that may reach a browser, an API response or a log line shown to users.
"""

import os
import re

REDACTED = "[redacted]"
_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH", re.IGNORECASE)
_MIN_SECRET_VALUE_LENGTH = 6

_PATTERNS = [
    # Authorization headers and bearer tokens, whatever the token looks like.
    re.compile(r"(?i)\b(authorization|x-api-key|api-key)\b\s*[:=]\s*\S+(\s+\S+)?"),
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+"),
    # Provider key shapes: sk-..., sk-ant-..., sk-or-..., gsk_..., hf_..., ghp_...
    re.compile(r"\b(sk|rk|pk|gsk|hf|ghp|gho|xox[abp])[-_][A-Za-z0-9_-]{8,}"),
    # Google API keys (Gemini), which need not contain a digit.
    re.compile(r"\bAIza[A-Za-z0-9_-]{35}"),
    # Long opaque tokens: letters and digits mixed, 32 or more characters.
    re.compile(r"\b(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{32,}\b"),
    # Home directories and other absolute paths into a user's files.
    re.compile(r"(~(?=/)|/home/[^/\s]+|/root(?=/|\b)|/Users/[^/\s]+)(/[^\s'\"),;]*)?"),
    re.compile(r"[A-Za-z]:\\Users\\[^\s'\"]+"),
    # Any other absolute filesystem path of two or more parts (not the path of a URL).
    re.compile(r"(?<![\w.:/])/(?:[\w.-]+/)+[\w.-]*"),
]


def _secret_environment_values() -> list[str]:
    values = [
        value
        for name, value in os.environ.items()
        if _SECRET_NAME.search(name) and len(value) >= _MIN_SECRET_VALUE_LENGTH
    ]
    # Longest first, so a value containing another is replaced whole.
    return sorted(values, key=len, reverse=True)


def redact(text: str) -> str:
    """Return `text` with secrets, secret environment values and home paths removed."""
    for value in _secret_environment_values():
        text = text.replace(value, REDACTED)
    for pattern in _PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text
