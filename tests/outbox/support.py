"""What the outbox tests (and the customer ticket tests) share."""

from __future__ import annotations

import httpx

from tests.support.sandbox import Sandbox

__all__ = ["deliver_webhooks_to"]


def deliver_webhooks_to(sandbox: Sandbox, port: int) -> str:
    """Point the sandbox's webhook at a gateway on ``port``; the key that verifies it."""
    webhook = {"url": f"http://127.0.0.1:{port}/webhooks/cardlytics"}
    httpx.put(f"{sandbox.cardlytics_url}/_sandbox/webhook", json=webhook).raise_for_status()
    return httpx.get(f"{sandbox.cardlytics_url}/_sandbox/webhook-public-key").text
