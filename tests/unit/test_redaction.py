"""Secrets, tokens and e-mail addresses never survive into a log line."""

from __future__ import annotations

import json
import logging

import pytest

from gateway.customer_ids import ANONYMOUS, CustomerIdHasher
from gateway.logs import REDACTED, configure_logging, redact, request_id_scope

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlLWhlcmU"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"Authorization: Bearer {JWT}", JWT),
        (f"token {JWT} expired", JWT),
        ("Authorization: API-" + "5A" * 20, "5A" * 20),
        ("DEV-" + "3C" * 20 + ":API-" + "5A" * 20, "3C" * 20),
        ("customer jane.doe+x@example.com wrote", "jane.doe+x@example.com"),
        ('{"secret": "s3cr3t-value"}', "s3cr3t-value"),
        ('{"clientId": "c", "sessionToken": "opaque-token-1"}', "opaque-token-1"),
        # letters re's IGNORECASE takes for s, i and k: the quick pre-checks must too
        ('{"\u017fecret": "long-s-value"}', "long-s-value"),
        ('{"authorİzation": "dotted-i-value"}', "dotted-i-value"),
        ('{"api\u212aey": "kelvin-value"}', "kelvin-value"),
        ("BEARER opaque-bearer-value", "opaque-bearer-value"),
    ],
)
def test_redact_removes_the_secret(text: str, secret: str) -> None:
    cleaned = redact(text)
    assert secret not in cleaned
    assert REDACTED in cleaned


def test_redact_leaves_ordinary_text_alone() -> None:
    text = "GET /rest/1.3/tickets/list status=206 elapsed_ms=12.5"
    assert redact(text) == text


def test_json_log_line_carries_request_id_and_is_redacted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO")
    try:
        with request_id_scope("req-123"):
            logging.getLogger("gateway.test").info("sent", extra={"header": f"Bearer {JWT}"})
        line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    finally:
        logging.getLogger().handlers.clear()
    assert line["request_id"] == "req-123"
    assert line["msg"] == "sent"
    assert JWT not in line["header"]


def test_customer_ids_are_lowercase_hex_hmac_and_anonymous_passes_through() -> None:
    hasher = CustomerIdHasher(b"key")
    hashed = hasher("alice")
    # the value `printf alice | openssl dgst -sha256 -hmac key` prints
    assert hashed == "76fb55e929c06b97b01c35950ee5f72fe415b15ed3a7356c39e709906dbb5c45"
    assert hasher("alice") == hashed and hasher("bob") != hashed
    assert hasher(None) == ANONYMOUS == "no-user-available"
    assert "the-key" not in repr(CustomerIdHasher(b"the-key"))
