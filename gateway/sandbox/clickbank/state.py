"""The simulator's state: receipts and tickets, what our account may see of them, search.

One ``TicketStore`` per app; ``reset()`` rebuilds the seeded sample data. Handlers never await
between reading and writing it, so no lock is needed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from gateway.sandbox.clickbank.auth import Keyring
from gateway.sandbox.clickbank.clock import local_date, now
from gateway.sandbox.clickbank.conventions import RateLimiter
from gateway.sandbox.clickbank.data import FIRST_NEW_TICKET_ID, OUR_ACCOUNT, build_sample_data
from gateway.sandbox.clickbank.errors import bad_request
from gateway.sandbox.clickbank.model import Receipt, Ticket
from gateway.sandbox.clickbank.rules import TicketFilter

__all__ = ["Simulator", "TicketStore"]

_Matcher = Callable[[str], bool]


class TicketStore:
    def __init__(self, *, seed: int, partial_refunds_enabled: bool) -> None:
        self.seed = seed
        # The settings switch can only take partial refunds away from a vendor, never grant them.
        self.partial_refunds_enabled = partial_refunds_enabled
        self.account = OUR_ACCOUNT
        self.reset()

    def reset(self) -> None:
        data = build_sample_data(self.seed)
        self.receipts = data.receipts
        self.tickets = data.tickets
        self._next_comment_id = data.next_comment_id
        self._next_ticket_id = max(FIRST_NEW_TICKET_ID, max(self.tickets) + 1)

    def new_ticket_id(self) -> int:
        ticket_id = self._next_ticket_id
        self._next_ticket_id += 1
        return ticket_id

    def new_comment_id(self) -> int:
        comment_id = self._next_comment_id
        self._next_comment_id += 1
        return comment_id

    def receipt(self, code: str) -> Receipt:
        """Our receipt ``code``; another account's receipt is as unknown as a made-up one."""
        receipt = self.receipts.get(code.upper())
        if receipt is None or receipt.vendor.account != self.account:
            raise bad_request(f"Receipt {code} not found")
        return receipt

    def ticket(self, ticket_id: int) -> Ticket | None:
        ticket = self.tickets.get(ticket_id)
        if ticket is None or ticket.receipt.vendor.account != self.account:
            return None
        return ticket

    def is_foreign(self, ticket_id: int) -> bool:
        ticket = self.tickets.get(ticket_id)
        return ticket is not None and ticket.receipt.vendor.account != self.account

    def partial_refunds_allowed(self, receipt: Receipt) -> bool:
        return self.partial_refunds_enabled and receipt.vendor.partial_refunds

    def tickets_on(self, receipt: Receipt) -> list[Ticket]:
        return [t for t in self.tickets.values() if t.receipt is receipt]

    def search(self, query: TicketFilter) -> list[Ticket]:
        """Our tickets matching every filter given, by ticket id."""
        matches_receipt = _receipt_matcher(query.receipt)
        found = []
        for ticket in self.tickets.values():
            if ticket.receipt.vendor.account != self.account:
                continue
            if query.type is not None and ticket.type is not query.type:
                continue
            if query.status is not None and ticket.status is not query.status:
                continue
            if not matches_receipt(ticket.receipt.receipt):
                continue
            if query.created is not None and local_date(ticket.opened) not in query.created:
                continue
            if query.updated is not None and local_date(ticket.updated) not in query.updated:
                continue
            if query.closed is not None and (
                ticket.closed is None or local_date(ticket.closed) not in query.closed
            ):
                continue
            found.append(ticket)
        return sorted(found, key=lambda t: t.ticket_id)


def _receipt_matcher(pattern: str | None) -> _Matcher:
    """Exact match, or ``%`` as a wildcard for any run of characters (SQL LIKE style)."""
    if pattern is None:
        return lambda _: True
    regex = re.compile(".*".join(re.escape(part) for part in pattern.split("%")), re.IGNORECASE)
    return lambda receipt: regex.fullmatch(receipt) is not None


@dataclass
class Simulator:
    """Everything one simulator app holds: its data, its keys, its rate limiter and its clock."""

    store: TicketStore
    keyring: Keyring
    limiter: RateLimiter
    clock: Callable[[], datetime] = now

    def reset(self) -> None:
        self.store.reset()
        self.limiter.reset()
