"""Logging set-up: one JSON object a line, a request id on each, secrets redacted.

Redaction is a last line of defence: code never logs tokens, keys, raw customer ids or e-mail
addresses on purpose, and this filter scrubs the shapes of them that could still slip through
(bearer tokens, JWTs, ClickBank keys, e-mail addresses, secret-looking key=value pairs).
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

__all__ = [
    "REDACTED",
    "configure_logging",
    "current_request_id",
    "redact",
    "request_id_scope",
]

REDACTED = "[REDACTED]"

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

# Each shape with what any text it matches must contain (lower-cased where the pattern ignores
# case), so a line with none of those skips the pattern: most lines have none, and the regexes
# cost more than the rest of formatting a line together.
_PATTERNS: list[tuple[tuple[str, ...], bool, re.Pattern[str]]] = [
    (("bearer",), True, re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+")),
    # JWT
    (("eyJ",), False, re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")),
    # ClickBank keys
    (
        ("DEV-", "API-"),
        False,
        re.compile(r"\b(?:DEV|API)-[A-Za-z0-9]{8,}(?::API-[A-Za-z0-9]{8,})?"),
    ),
    # e-mail addresses
    (("@",), False, re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")),
    (
        ("secret", "password", "token", "apikey", "api_key", "api-key", "authorization"),
        True,
        re.compile(
            r"(?i)(?<=[\"' ])(?:secret|password|token|api[_-]?key|authorization|sessionToken)"
            r"([\"']?\s*[:=]\s*[\"']?)[^\"',\s}]+"
        ),
    ),
]


# The non-ASCII letters that re's IGNORECASE matches to the ASCII i, s and k (the Kelvin sign
# lower-cases to k by itself), so that skipping on lower-cased text never skips a match.
_ASCII_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s"})


def redact(text: str) -> str:
    lowered = text.translate(_ASCII_FOLD).lower()
    for needles, ignore_case, pattern in _PATTERNS:
        haystack = lowered if ignore_case else text
        if any(needle in haystack for needle in needles):
            text = pattern.sub(_replacement, text)
    return text


def _replacement(match: re.Match[str]) -> str:
    if match.lastindex:  # key=value: keep the key so the line still reads
        value_start = match.end(1) - match.start(0)
        return match.group(0)[:value_start] + REDACTED
    return REDACTED


@contextmanager
def request_id_scope(value: str | None = None) -> Iterator[str]:
    """Bind a request id (the given one or a fresh UUID) for the block, then restore the old."""
    request_id = value or str(uuid.uuid4())
    token = _request_id.set(request_id)
    try:
        yield request_id
    finally:
        _request_id.reset(token)


def current_request_id() -> str | None:
    return _request_id.get()


class _JsonFormatter(logging.Formatter):
    # color_message: uvicorn's ANSI-coloured copy of msg, noise in a JSON line.
    _STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if (request_id := current_request_id()) is not None:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in self._STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return redact(json.dumps(entry, default=str))


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(_JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs full URLs (ClickBank puts comments in query strings): keep it quiet.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
