"""Every typed error from a real simulator answer or an injected fault, and what is retried.

Refusals and 403s come from the simulator's own rules; 503s, hangs and truncated bodies from
fault rules (``sandbox.faults``). Calls that a fault answered are counted by their raw path.
"""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
from pydantic import SecretStr

from gateway.upstreams.clickbank import OutputFormat, TicketAction, TicketFilters, TicketStatus
from gateway.upstreams.errors import (
    UpstreamAuthenticationFailed,
    UpstreamMalformed,
    UpstreamNotAllowed,
    UpstreamNotFound,
    UpstreamRateLimited,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from gateway.upstreams.resilience import BreakerState, CircuitBreaker, RetryPolicy
from tests.conftest import running_sandbox
from tests.support.sandbox import Sandbox
from tests.support.servers import free_port
from tests.upstreams.clickbank_support import (
    API_KEY,
    BUSY_WEEK,
    CLOSED_TECH_TICKET,
    DEVELOPER_KEY,
    DIGITAL_RECEIPT,
    EURO_RECEIPT,
    FOREIGN_TICKET,
    LEGACY_VENDOR_RECEIPT,
    LIST_CALL,
    NO_RETRIES,
    OPEN_TECH_TICKET,
    PARTIAL_REFUND_RECEIPT,
    PARTIAL_REFUND_TICKET,
    PHYSICAL_REFUND_TICKET,
    READ_ONLY_KEY,
    TICKET_ROUTE,
    UNKNOWN_TICKET,
    calls_by_method,
    clickbank_client,
)

REFUND_REASON = "ticket.type.refund.1"
BUSY_WEEK_FILTER = TicketFilters(create_date_from=BUSY_WEEK[0], create_date_to=BUSY_WEEK[1])
CREATE_CALLS = "POST /rest/1.3/tickets/*"
PUT_CALLS = "PUT /rest/1.3/tickets/*"
GET_TICKET_CALLS = "GET /rest/1.3/tickets/4*"
WRONG_KEY = SecretStr("API-" + "99" * 20)
# Patient enough to wait out a 2-per-second limit: full jitter, up to 1 s a retry.
RATE_LIMIT_RETRIES = RetryPolicy(attempts=6, base_delay_s=0.5, max_delay_s=1.0)
OUTPUTS: list[OutputFormat] = ["json", "xml"]


# --- refusals (400) -------------------------------------------------------------------------


async def test_duplicate_refund_is_rejected_with_the_upstream_text(sandbox: Sandbox) -> None:
    # given a receipt whose refund ticket is still open
    async with clickbank_client(sandbox.clickbank_url) as client:
        # when
        with pytest.raises(UpstreamRejected) as caught:
            await client.create_ticket(
                PARTIAL_REFUND_RECEIPT, "rfnd", REFUND_REASON, refund_type="FULL"
            )
    # then
    assert (caught.value.message, caught.value.status) == ("Refund ticket already open", 400)


async def test_reopening_an_open_ticket_is_rejected_and_not_repeated(sandbox: Sandbox) -> None:
    async with clickbank_client(sandbox.clickbank_url) as client:
        with pytest.raises(UpstreamRejected, match="Only closed tickets can be reopened"):
            await client.reopen(OPEN_TECH_TICKET, "Please look again")
    assert sandbox.calls("clickbank") == {f"PUT {TICKET_ROUTE}": 1}


# --- not found (400 "... not found") ------------------------------------------------------


async def test_returned_on_an_unknown_ticket_is_not_found(sandbox: Sandbox) -> None:
    # the seed: 400 when the ticket is not found; the text tells it from other refusals
    async with clickbank_client(sandbox.clickbank_url) as client:
        with pytest.raises(UpstreamNotFound) as caught:
            await client.mark_returned(UNKNOWN_TICKET)
    assert (caught.value.status, caught.value.message) == (400, "Ticket not found")
    assert calls_by_method(sandbox.calls("clickbank"), "POST") == 1


async def test_returned_on_a_digital_purchase_is_rejected(sandbox: Sandbox) -> None:
    async with clickbank_client(sandbox.clickbank_url) as client:
        with pytest.raises(UpstreamRejected, match="not for a physical purchase"):
            await client.mark_returned(PARTIAL_REFUND_TICKET)


async def test_refund_preview_of_an_unknown_receipt_is_not_found(sandbox: Sandbox) -> None:
    async with clickbank_client(sandbox.clickbank_url) as client:
        with pytest.raises(UpstreamNotFound, match="not found"):
            await client.refund_amounts("ZZZZ9999", "FULL")


async def test_injected_404_is_not_found_and_not_retried(sandbox: Sandbox) -> None:
    sandbox.faults("clickbank", {"match": GET_TICKET_CALLS, "error_status": 404})
    async with clickbank_client(sandbox.clickbank_url) as client:
        with pytest.raises(UpstreamNotFound):
            await client.get_ticket(PARTIAL_REFUND_TICKET)
    assert calls_by_method(sandbox.calls("clickbank"), "GET") == 1


# --- credentials refused (403 with the credential named, or an injected 401) -----------------


async def test_wrong_key_is_an_authentication_failure_not_retried(sandbox: Sandbox) -> None:
    async with clickbank_client(sandbox.clickbank_url, api_key=WRONG_KEY) as client:
        with pytest.raises(UpstreamAuthenticationFailed) as caught:
            await client.get_ticket(PARTIAL_REFUND_TICKET)
    assert caught.value.status == 403 and "Invalid credentials" in caught.value.message
    assert sandbox.calls("clickbank") == {f"GET {TICKET_ROUTE}": 1}


async def test_wrong_developer_key_is_an_authentication_failure(sandbox: Sandbox) -> None:
    wrong_developer = SecretStr("DEV-" + "11" * 20)
    async with clickbank_client(sandbox.clickbank_url, developer_key=wrong_developer) as client:
        with pytest.raises(UpstreamAuthenticationFailed):
            await client.count()


async def test_injected_401_is_an_authentication_failure(sandbox: Sandbox) -> None:
    sandbox.faults("clickbank", {"match": "GET /rest/1.3/tickets/count", "error_status": 401})
    async with clickbank_client(sandbox.clickbank_url) as client:
        with pytest.raises(UpstreamAuthenticationFailed):
            await client.count()
    assert sandbox.calls("clickbank") == {"GET /rest/1.3/tickets/count": 1}


# --- not allowed (403) ----------------------------------------------------------------------


@pytest.mark.parametrize("ticket_id", [FOREIGN_TICKET, UNKNOWN_TICKET])
async def test_foreign_or_unknown_ticket_is_not_allowed(sandbox: Sandbox, ticket_id: str) -> None:
    async with clickbank_client(sandbox.clickbank_url) as client:
        with pytest.raises(UpstreamNotAllowed) as caught:
            await client.get_ticket(ticket_id)
    assert caught.value.status == 403
    assert sandbox.calls("clickbank") == {f"GET {TICKET_ROUTE}": 1}  # a 403 is never retried


async def test_read_only_key_may_not_create(sandbox: Sandbox) -> None:
    async with clickbank_client(sandbox.clickbank_url, api_key=READ_ONLY_KEY) as client:
        with pytest.raises(UpstreamNotAllowed, match="api_order_write"):
            await client.create_ticket(DIGITAL_RECEIPT, "rfnd", REFUND_REASON, refund_type="FULL")


async def test_vendor_without_partial_refunds_is_not_allowed(sandbox: Sandbox) -> None:
    async with clickbank_client(sandbox.clickbank_url) as client:
        with pytest.raises(UpstreamNotAllowed, match="not enabled for partial refunds"):
            await client.refund_amounts(LEGACY_VENDOR_RECEIPT, "PARTIAL_PERCENT", "10")


async def test_partial_refunds_switched_off_for_every_vendor() -> None:
    with running_sandbox(clickbank_partial_refunds_enabled=False) as sandbox:
        async with clickbank_client(sandbox.clickbank_url) as client:
            with pytest.raises(UpstreamNotAllowed, match="not enabled for partial refunds"):
                await client.create_ticket(
                    EURO_RECEIPT,
                    "rfnd",
                    REFUND_REASON,
                    refund_type="PARTIAL_AMOUNT",
                    refund_amount="5.00",
                )


async def test_refused_keys_never_show_in_errors_or_logs(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with clickbank_client(
        sandbox.clickbank_url, api_key=WRONG_KEY, developer_key=DEVELOPER_KEY
    ) as client:
        with pytest.raises(UpstreamAuthenticationFailed) as caught:
            await client.count()
    secrets = (WRONG_KEY.get_secret_value(), DEVELOPER_KEY.get_secret_value())
    shown = f"{caught.value} {caught.value!r} {caplog.text}"
    assert not any(secret in shown for secret in secrets)


# --- rate limit (403 "Rate limit exceeded") -------------------------------------------------


async def test_rate_limit_is_its_own_error() -> None:
    with running_sandbox(clickbank_rate_limit_per_s=2) as sandbox:
        async with clickbank_client(sandbox.clickbank_url, retry=NO_RETRIES) as client:
            results = await asyncio.gather(
                *(client.count() for _ in range(6)), return_exceptions=True
            )
    limited = [r for r in results if isinstance(r, UpstreamRateLimited)]
    assert limited and all(r.status == 403 for r in limited)
    assert all(isinstance(r, int | UpstreamRateLimited) for r in results)


async def test_reads_wait_out_the_rate_limit(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="gateway.upstreams")
    with running_sandbox(clickbank_rate_limit_per_s=2) as sandbox:
        async with clickbank_client(sandbox.clickbank_url, retry=RATE_LIMIT_RETRIES) as client:
            counts = [await client.count(status="open") for _ in range(4)]
    assert len(set(counts)) == 1
    retried = [r for r in caplog.records if r.getMessage() == "upstream retry"]
    assert retried and {r.__dict__["error"] for r in retried} == {"UpstreamRateLimited"}


# --- transport faults -----------------------------------------------------------------------


async def test_list_recovers_from_a_transient_503(sandbox: Sandbox) -> None:
    # given one 503 on the list endpoint
    sandbox.faults("clickbank", {"match": LIST_CALL, "error_status": 503, "times": 1})
    async with clickbank_client(sandbox.clickbank_url) as client:
        # when
        page = await client.list_page(BUSY_WEEK_FILTER)
    # then the second attempt answered
    assert len(page.tickets) == 100
    assert sandbox.calls("clickbank") == {LIST_CALL: 2}


async def test_create_is_not_repeated_after_a_503(sandbox: Sandbox) -> None:
    sandbox.faults("clickbank", {"match": CREATE_CALLS, "error_status": 503, "times": 1})
    async with clickbank_client(sandbox.clickbank_url) as client:
        with pytest.raises(UpstreamUnavailable) as caught:
            await client.create_ticket(DIGITAL_RECEIPT, "rfnd", REFUND_REASON, refund_type="FULL")
    assert caught.value.status == 503
    assert sandbox.calls("clickbank") == {"POST /rest/1.3/tickets/{receipt}": 1}


async def test_comment_is_not_repeated_after_a_503(sandbox: Sandbox) -> None:
    sandbox.faults("clickbank", {"match": PUT_CALLS, "error_status": 503, "times": 1})
    async with clickbank_client(sandbox.clickbank_url) as client:
        with pytest.raises(UpstreamUnavailable):
            await client.comment(OPEN_TECH_TICKET, "Any news?")
    assert calls_by_method(sandbox.calls("clickbank"), "PUT") == 1


async def test_persistent_503_is_unavailable_after_every_attempt(sandbox: Sandbox) -> None:
    sandbox.faults("clickbank", {"match": LIST_CALL, "error_status": 503})
    async with clickbank_client(sandbox.clickbank_url) as client:
        with pytest.raises(UpstreamUnavailable):
            await client.list_page()
    assert sandbox.calls("clickbank") == {LIST_CALL: 3}


async def test_close_after_a_503_looks_then_sends_again(sandbox: Sandbox) -> None:
    # given a PUT that fails before reaching the ticket
    sandbox.faults("clickbank", {"match": PUT_CALLS, "error_status": 503, "times": 1})
    async with clickbank_client(sandbox.clickbank_url) as client:
        # when
        ticket = await client.close(OPEN_TECH_TICKET, "Solved")
    # then it read the ticket, saw it still open, and closed it
    assert ticket.status is TicketStatus.CLOSED
    calls = sandbox.calls("clickbank")
    assert calls_by_method(calls, "PUT") == 2 and calls[f"GET {TICKET_ROUTE}"] == 1


async def test_close_whose_answer_was_lost_is_not_sent_twice(sandbox: Sandbox) -> None:
    # given a PUT that lands only after the client gave up, and a read slow enough to see it
    sandbox.faults(
        "clickbank",
        {"match": PUT_CALLS, "hang_s": 0.6, "times": 1},
        {"match": GET_TICKET_CALLS, "latency_ms": 500, "times": 1},
    )
    async with clickbank_client(sandbox.clickbank_url, read_timeout_s=0.4) as client:
        # when
        ticket = await client.close(OPEN_TECH_TICKET, "Solved")
    # then the read found it closed: no second PUT, one CLOSED entry
    assert ticket.status is TicketStatus.CLOSED
    assert [c.action for c in ticket.comments].count(TicketAction.CLOSED) == 1
    assert calls_by_method(sandbox.calls("clickbank"), "PUT") == 1


async def test_reopen_after_a_503_looks_then_sends_again(sandbox: Sandbox) -> None:
    sandbox.faults("clickbank", {"match": PUT_CALLS, "error_status": 503, "times": 1})
    async with clickbank_client(sandbox.clickbank_url) as client:
        ticket = await client.reopen(CLOSED_TECH_TICKET, "It broke again")
    assert ticket.status is TicketStatus.REOPENED
    assert calls_by_method(sandbox.calls("clickbank"), "PUT") == 2


async def test_hang_beyond_the_read_timeout_is_a_timeout(sandbox: Sandbox) -> None:
    sandbox.faults("clickbank", {"match": GET_TICKET_CALLS, "hang_s": 0.5})
    async with clickbank_client(
        sandbox.clickbank_url, retry=NO_RETRIES, read_timeout_s=0.2
    ) as client:
        with pytest.raises(UpstreamTimeout):
            await client.get_ticket(PARTIAL_REFUND_TICKET)
    await asyncio.sleep(0.5)  # let the hung call end here, not in the next test's counts


@pytest.mark.parametrize("output", OUTPUTS)
async def test_truncated_body_is_malformed(sandbox: Sandbox, output: OutputFormat) -> None:
    sandbox.faults("clickbank", {"match": GET_TICKET_CALLS, "malformed": True})
    async with clickbank_client(sandbox.clickbank_url, output=output) as client:
        with pytest.raises(UpstreamMalformed) as caught:
            await client.get_ticket(PARTIAL_REFUND_TICKET)
    assert caught.value.request_id
    assert "example.com" not in str(caught.value)  # the body is never quoted


async def test_truncated_list_page_is_malformed_and_not_repeated(sandbox: Sandbox) -> None:
    sandbox.faults("clickbank", {"match": LIST_CALL, "malformed": True})
    async with clickbank_client(sandbox.clickbank_url) as client:
        with pytest.raises(UpstreamMalformed):
            await client.list_page(BUSY_WEEK_FILTER)
    assert sandbox.calls("clickbank") == {LIST_CALL: 1}


# --- circuit breaker ------------------------------------------------------------------------


async def test_breaker_opens_fails_fast_and_recovers(sandbox: Sandbox) -> None:
    # given an upstream failing every call, and a breaker that opens after two failures
    sandbox.faults("clickbank", {"match": GET_TICKET_CALLS, "error_status": 503})
    breaker = CircuitBreaker(failure_threshold=2, reset_timeout_s=0.3)
    async with clickbank_client(sandbox.clickbank_url, retry=NO_RETRIES, breaker=breaker) as client:
        for _ in range(2):
            with pytest.raises(UpstreamUnavailable) as caught:
                await client.get_ticket(PARTIAL_REFUND_TICKET)
            assert caught.value.status == 503
        # when the breaker is open
        with pytest.raises(UpstreamUnavailable, match="circuit open") as fast:
            await client.get_ticket(PARTIAL_REFUND_TICKET)
        # then nothing was sent for the third call
        assert fast.value.status is None
        assert calls_by_method(sandbox.calls("clickbank"), "GET") == 2
        # and once the upstream is back and the reset time has passed, one trial closes it
        sandbox.faults("clickbank")
        await asyncio.sleep(0.35)
        ticket = await client.get_ticket(PARTIAL_REFUND_TICKET)
    assert ticket.ticket_id == PARTIAL_REFUND_TICKET
    assert breaker.state is BreakerState.CLOSED


async def test_refusals_do_not_open_the_breaker(sandbox: Sandbox) -> None:
    # a 400 / 403 is an answer about the request, not about the upstream's health
    breaker = CircuitBreaker(failure_threshold=1, reset_timeout_s=60)
    async with clickbank_client(sandbox.clickbank_url, breaker=breaker) as client:
        with pytest.raises(UpstreamNotAllowed):
            await client.get_ticket(FOREIGN_TICKET)
        with pytest.raises(UpstreamRejected):
            await client.reopen(OPEN_TECH_TICKET, "Again")
        assert (await client.get_ticket(PARTIAL_REFUND_TICKET)).ticket_id == PARTIAL_REFUND_TICKET
    assert breaker.state is BreakerState.CLOSED


# --- nothing secret in logs -------------------------------------------------------------------


async def test_keys_never_reach_the_logs(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    # given every logger at its most talkative (httpx and httpcore included)
    caplog.set_level(logging.DEBUG)
    sandbox.faults("clickbank", {"match": LIST_CALL, "error_status": 503, "times": 1})
    async with clickbank_client(
        sandbox.clickbank_url, api_key=API_KEY, developer_key=DEVELOPER_KEY
    ) as client:
        # when successes, a retried failure and a refusal are all logged
        await client.create_ticket(DIGITAL_RECEIPT, "tech", "ticket.type.tech_support.1")
        await client.list_page(BUSY_WEEK_FILTER)
        with pytest.raises(UpstreamRejected):
            await client.reopen(OPEN_TECH_TICKET, "Again")
    # then the records were written, and no key is in any of them, formatted or raw
    assert any(r.getMessage() == "upstream call" for r in caplog.records)
    assert any(r.getMessage() == "upstream retry" for r in caplog.records)
    secrets = (API_KEY.get_secret_value(), DEVELOPER_KEY.get_secret_value())
    everything = caplog.text + "".join(repr(vars(r)) for r in caplog.records)
    assert not any(secret in everything for secret in secrets)
    assert "Authorization" not in everything


async def test_create_that_timed_out_is_not_sent_again(sandbox: Sandbox) -> None:
    # the POST may have opened the ticket: a second one could open another
    sandbox.faults("clickbank", {"match": CREATE_CALLS, "hang_s": 0.5, "times": 1})
    async with clickbank_client(sandbox.clickbank_url, read_timeout_s=0.2) as client:
        with pytest.raises(UpstreamTimeout):
            await client.create_ticket(DIGITAL_RECEIPT, "rfnd", REFUND_REASON, refund_type="FULL")
    # the simulator counts a call when it has answered: wait out the hang (and so keep it
    # from landing in the next test's counts), then look
    await asyncio.sleep(0.6)
    assert calls_by_method(sandbox.calls("clickbank"), "POST") == 1


async def test_returned_is_not_repeated_after_a_503(sandbox: Sandbox) -> None:
    sandbox.faults("clickbank", {"match": CREATE_CALLS, "error_status": 503, "times": 1})
    async with clickbank_client(sandbox.clickbank_url) as client:
        with pytest.raises(UpstreamUnavailable):
            await client.mark_returned(PHYSICAL_REFUND_TICKET)
    assert calls_by_method(sandbox.calls("clickbank"), "POST") == 1


async def test_nobody_listening_is_unavailable_after_every_read_attempt() -> None:
    attempts: list[httpx.Request] = []

    async def record(request: httpx.Request) -> None:
        attempts.append(request)

    closed_port = f"http://127.0.0.1:{free_port()}/clickbank/rest/1.3"
    async with clickbank_client(closed_port, on_request=record) as client:
        with pytest.raises(UpstreamUnavailable, match="connection failed"):
            await client.count()
    assert len(attempts) == 3  # FAST_RETRIES: a read is repeated
