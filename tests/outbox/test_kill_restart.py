"""The headline guarantee: kill the gateway process in the middle of an outbox send, restart it,
and the ticket still reaches Cardlytics once and completes.

A real ``python -m gateway.cli serve`` process with a SQLite file store, against the test
sandbox. The sandbox holds ``POST /csaapi/v2/tickets`` open, so the send is in flight when the
process gets SIGKILL (no shutdown code runs). The hung request may or may not be processed by
the sandbox afterwards; either way there must be exactly one ticket upstream.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from gateway.auth import Role, issue_sandbox_token
from gateway.settings import Settings
from gateway.store.db import Database
from gateway.store.models import CustomerTicketRow
from tests.outbox.support import deliver_webhooks_to
from tests.support.sandbox import Sandbox
from tests.support.servers import free_port
from tests.upstreams.cardlytics_support import HASHER, TICKETS_POST, cardlytics_client

CREATE = """
mutation ($input: CreateCustomerTicketInput!) {
  createCustomerTicket(input: $input) { ticket { id } errors { message } }
}
"""
MINE = "{ customerTickets { id processingStatus processingMessage delivery status resolution } }"
INPUT = {
    "offerId": "1000055124",
    "transactionIds": ["1484308150"],
    "description": "My reward never came",
    "idempotencyKey": "kill-test",
}
LINKED = "customer-linked"


class GatewayProcess:
    """One gateway process; ``kill()`` is SIGKILL, as a crash or an OOM kill would be."""

    def __init__(self, env: dict[str, str], log: Path, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
        environment |= env | {"GATEWAY_HOST": "127.0.0.1", "GATEWAY_PORT": str(self.port)}
        self.log = log
        with log.open("ab") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gateway.cli", "serve"],
                env=environment,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gateway exited:\n{self.log.read_text(errors='replace')}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"gateway did not start:\n{self.log.read_text(errors='replace')}")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)


@contextlib.contextmanager
def gateway_process(env: dict[str, str], log: Path, port: int) -> Iterator[GatewayProcess]:
    process = GatewayProcess(env, log, port)
    try:
        yield process
    finally:
        process.kill()


def token() -> str:
    settings = Settings()
    return issue_sandbox_token(
        LINKED,
        role=Role.CUSTOMER,
        shared_key=settings.jwt_shared_key,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )


async def graphql(url: str, document: str, variables: dict[str, Any] | None = None) -> Any:
    async with httpx.AsyncClient(timeout=30) as http:
        answer = await http.post(
            f"{url}/graphql",
            json={"query": document, "variables": variables or {}},
            headers={"Authorization": f"Bearer {token()}"},
        )
    body = answer.json()
    assert body.get("errors") is None, body
    return body["data"]


def ticket_deliveries(sandbox: Sandbox, source_ticket_id: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{sandbox.cardlytics_url}/_sandbox/deliveries", params={"kind": "ticket"})
    return [
        d["payload"]
        for d in answer.json()["deliveries"]
        if d["payload"].get("sourceTicketId") == source_ticket_id
    ]


async def test_a_send_killed_mid_flight_is_sent_once_after_restart(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    # given: a gateway whose ticket send hangs upstream, and which receives the webhook (the
    # restarted process listens on the same port, as a restarted replica would)
    port = free_port()
    public_key = deliver_webhooks_to(sandbox, port)
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'store.sqlite3'}"
    env = {
        "GATEWAY_CARDLYTICS_BASE_URL": sandbox.cardlytics_url,
        "GATEWAY_CLICKBANK_BASE_URL": sandbox.clickbank_url,
        "GATEWAY_DATABASE_URL": database_url,
        "GATEWAY_WEBHOOK_PUBLIC_KEY_PEM": public_key,
        "GATEWAY_CARDLYTICS_READ_TIMEOUT_S": "20",  # the send is still waiting when killed
        "GATEWAY_OUTBOX_LEASE_S": "2",
        "GATEWAY_OUTBOX_POLL_INTERVAL_S": "0.1",
        "GATEWAY_OUTBOX_RETRY_BASE_S": "0.1",
        "GATEWAY_LOG_LEVEL": "WARNING",
    }
    log = tmp_path / "gateway.log"
    sandbox.faults("cardlytics", {"match": TICKETS_POST, "hang_s": 3.0})
    with gateway_process(env, log, port) as first:
        create = asyncio.create_task(graphql(first.url, CREATE, {"input": INPUT}))
        deadline = time.monotonic() + 15
        while sandbox.calls("cardlytics").get(TICKETS_POST, 0) == 0:
            assert time.monotonic() < deadline and not create.done(), log.read_text()
            await asyncio.sleep(0.02)
        # when: killed while the POST is in flight
        first.kill()
    with contextlib.suppress(httpx.HTTPError):
        await create  # the customer's request died with the process
    sandbox.faults("cardlytics")  # Cardlytics answers normally again

    with gateway_process(env, log, port) as second:
        # then: the ticket survived the crash and completes
        [stored] = (await graphql(second.url, MINE))["customerTickets"]
        source_ticket_id = stored["id"]
        deadline = time.monotonic() + 30
        while stored["status"] != "CLOSED":
            assert time.monotonic() < deadline, (stored, log.read_text())
            await asyncio.sleep(0.1)
            [stored] = (await graphql(second.url, MINE))["customerTickets"]
        assert stored["processingStatus"] == "PROCESSED"
        assert stored["processingMessage"] is None
        assert stored["delivery"] == "SENT"
        assert stored["resolution"] == "REWARD_RECEIVED"
        # the customer retrying the same create is the same ticket, and sends nothing more
        posts = sandbox.calls("cardlytics")[TICKETS_POST]
        again = await graphql(second.url, CREATE, {"input": INPUT})
        assert again["createCustomerTicket"]["ticket"]["id"] == source_ticket_id
        assert sandbox.calls("cardlytics")[TICKETS_POST] == posts

    # and upstream there is exactly one ticket for that sourceTicketId
    assert posts >= 2  # the killed send, then the outbox's resend after restart
    payloads = ticket_deliveries(sandbox, source_ticket_id)
    accepted = [p for p in payloads if p["processingStatus"] == "Success"]
    refused = [p for p in payloads if p["processingStatus"] == "Error"]
    # one ticket: accepted once (In Process), closed once, one Cardlytics id
    assert sorted(str(p.get("status")) for p in accepted) == ["Closed", "In Process"], payloads
    assert len({p["cdlxTicketId"] for p in accepted}) == 1
    assert all(p.get("processingStatusMessage") == "Ticket already exists" for p in refused)
    async with cardlytics_client(sandbox.cardlytics_url) as client:
        upstream = await client.tickets.get(HASHER(LINKED), source_ticket_id)
    assert upstream.source_ticket_id == source_ticket_id
    assert str(upstream.status) == "Closed"
    # and the progress reached the store through the webhook, not only through Cardlytics' GET
    database = Database(database_url)
    try:
        async with database.transaction() as session:
            row = await session.get(CustomerTicketRow, source_ticket_id)
            assert row is not None
            assert (row.outbox_state, row.processing_status, row.status) == (
                "sent",
                "Success",
                "Closed",
            )
    finally:
        await database.aclose()
