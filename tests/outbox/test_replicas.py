"""Several replicas' outboxes on one database: each ticket is posted once, whoever claims it."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from gateway.customer_ids import HashedCustomerId
from gateway.outbox import OutboxPolicy, TicketOutbox
from gateway.store.db import Database
from gateway.store.ticket_index import TrackedTicket
from gateway.store.tickets import StoredTicketIndex
from gateway.upstreams.cardlytics.models import Accepted

TICKETS = 30
REPLICAS = 3


class CountingTickets:
    """Stands in for the CSA client: counts posts per ticket (the sandbox cannot tell us which
    replica sent what), and takes a moment, as a network call does."""

    def __init__(self) -> None:
        self.posts: Counter[str] = Counter()

    async def create(
        self,
        customer: HashedCustomerId,
        *,
        source_ticket_id: str,
        offer_id: str,
        transaction_ids: Sequence[str],
        description: str,
        **_: Any,
    ) -> Accepted:
        await asyncio.sleep(0.01)
        self.posts[source_ticket_id] += 1
        return Accepted()


async def test_replicas_sharing_a_store_post_each_ticket_once(database: Database) -> None:
    # given: tickets stored, none sent yet (as after a restart of every replica)
    upstream = CountingTickets()
    policy = OutboxPolicy(batch_size=TICKETS)
    replicas = [
        TicketOutbox(StoredTicketIndex(database), upstream, policy)  # type: ignore[arg-type]
        for _ in range(REPLICAS)
    ]
    start = datetime.now(UTC) - timedelta(seconds=1)
    for n in range(TICKETS):
        await replicas[0].store.add(
            TrackedTicket(
                source_ticket_id=f"rg-{n:03}",
                customer="c-alice",
                offer_id="1000055124",
                transaction_ids=("1484308150",),
                description="My reward never came",
                submitted_at=start,
            )
        )
    # when: every replica's worker runs its round at the same moment, twice
    for _ in range(2):
        claimed = await asyncio.gather(*(replica.send_due() for replica in replicas))
        # then
        assert sum(claimed) in (0, TICKETS)
    assert upstream.posts == Counter({f"rg-{n:03}": 1 for n in range(TICKETS)})
    left = await replicas[0].store.due(datetime.now(UTC) + timedelta(days=1), limit=100)
    assert left == []
