"""What the ClickBank client tests share: keys, the sample data they name, a client factory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx
from pydantic import SecretStr

from gateway.settings import SANDBOX_DEFAULTS
from gateway.upstreams.clickbank import ClickBankTicketsClient, OutputFormat
from gateway.upstreams.http import UpstreamHTTP
from gateway.upstreams.resilience import CircuitBreaker, RetryPolicy

API_KEY = SecretStr(SANDBOX_DEFAULTS.clickbank_api_key)
READ_ONLY_KEY = SecretStr(SANDBOX_DEFAULTS.clickbank_read_only_key)
DEVELOPER_KEY = SecretStr(SANDBOX_DEFAULTS.clickbank_developer_key)

FAST_RETRIES = RetryPolicy(attempts=3, base_delay_s=0.01, max_delay_s=0.02)
NO_RETRIES = RetryPolicy(attempts=1)

# Sample data the simulator documents as fixed (gateway/sandbox/clickbank/data.py, README.md).
DIGITAL_RECEIPT = "K8XQ2ZB7"  # one-off e-book, USD, partial refunds enabled, no tickets
SUBSCRIPTION_RECEIPT = "M3RV9TQ2"  # recurring membership, no tickets
EURO_RECEIPT = "E2NF6KJ8"  # one-off video course of 67.00 USD, customer pays in EUR
LEGACY_VENDOR_RECEIPT = "T9WC3HM6"  # vendor not enabled for partial refunds
PHYSICAL_REFUND_TICKET = "4100001"  # open full refund on a physical purchase
PARTIAL_REFUND_TICKET = "4100002"  # open 50 % refund on receipt R6YP2DV9
PARTIAL_REFUND_RECEIPT = "R6YP2DV9"
CLOSED_TECH_TICKET = "4100004"  # closed tech-support ticket on receipt W8JS5PL4
OPEN_TECH_TICKET = "4100005"  # open tech-support ticket on the same receipt
TWO_TICKET_RECEIPT = "W8JS5PL4"
FOREIGN_TICKET = "4900001"  # another account's ticket
UNKNOWN_TICKET = "4999999"
BUSY_WEEK = ("2024-09-09", "2024-09-15")  # exactly 250 of our tickets opened in it
BUSY_WEEK_TICKETS = 250

TICKET_ROUTE = "/rest/1.3/tickets/{ticket_id}"
LIST_CALL = "GET /rest/1.3/tickets/list"


@asynccontextmanager
async def clickbank_client(
    base_url: str,
    *,
    api_key: SecretStr = API_KEY,
    developer_key: SecretStr | None = None,
    output: OutputFormat = "json",
    retry: RetryPolicy = FAST_RETRIES,
    read_timeout_s: float = 5.0,
    transport: httpx.AsyncBaseTransport | None = None,
    on_request: Callable[[httpx.Request], Awaitable[None]] | None = None,
    breaker: CircuitBreaker | None = None,
) -> AsyncIterator[ClickBankTicketsClient]:
    hooks: Mapping[str, list[Callable[..., Any]]] = {"request": [on_request] if on_request else []}
    async with httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(5.0, read=read_timeout_s),
        transport=transport,
        event_hooks=hooks,
    ) as client:
        # by default a breaker that never opens: most tests are about one call, not about health
        http = UpstreamHTTP(
            "clickbank",
            client,
            retry=retry,
            breaker=breaker or CircuitBreaker(failure_threshold=1000),
        )
        yield ClickBankTicketsClient(
            http, api_key=api_key, developer_key=developer_key, output=output
        )


def calls_by_method(calls: Mapping[str, int], method: str) -> int:
    """Calls a fault answered are counted by raw path, the rest by route: add them up."""
    return sum(n for key, n in calls.items() if key.startswith(f"{method} "))
