"""What the write endpoints do to tickets, and the rules that need the receipt or other tickets.

Receipt state is derived from tickets (see ``model.py``), so every rule here is "would this
ticket, as it would become, clash with the other tickets on its receipt?".
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from gateway.sandbox.clickbank.data import EXPIRY
from gateway.sandbox.clickbank.errors import bad_request, forbidden
from gateway.sandbox.clickbank.model import Comment, Receipt, Ticket
from gateway.sandbox.clickbank.money import Amounts, refund_of
from gateway.sandbox.clickbank.rules import CreateOrder, Edit, RefundQuery, UpdateOrder
from gateway.sandbox.clickbank.state import TicketStore
from gateway.sandbox.clickbank.vocab import (
    Action,
    RefundType,
    Resolution,
    Role,
    Source,
    Status,
    TicketType,
)

__all__ = ["acknowledge_return", "line_items", "open_ticket", "preview_refund", "update_ticket"]

EDIT_ACTIONS = {
    Edit.COMMENT: Action.COMMENTED,
    Edit.CHANGE: Action.CHANGED,
    Edit.CLOSE: Action.CLOSED,
    Edit.REOPEN: Action.REOPENED,
}


def line_items(receipt: Receipt, sku: str | None) -> tuple[str, ...]:
    """The skus a request is about: the one named, or the whole cart."""
    if sku is None:
        return receipt.skus
    if receipt.item(sku) is None:
        raise bad_request(f"sku {sku} is not a line item of receipt {receipt.receipt}")
    return (sku,)


def preview_refund(
    store: TicketStore, receipt: Receipt, skus: tuple[str, ...], query: RefundQuery
) -> Amounts:
    """What ``query`` would refund; 403 when the vendor may not refund partially."""
    if query.refund_type.partial and not store.partial_refunds_allowed(receipt):
        raise forbidden(f"Vendor {receipt.vendor.nickname} is not enabled for partial refunds")
    total = receipt.amounts(skus)
    amount = query.refund_amount
    if query.refund_type is RefundType.PARTIAL_AMOUNT and amount is not None:
        if amount > total.customer:
            raise bad_request(
                f"refundAmount exceeds the purchase amount of {total.customer} "
                f"{total.customer_currency}"
            )
    return refund_of(total, query.refund_type, amount)


def open_ticket(store: TicketStore, code: str, order: CreateOrder, now: datetime) -> Ticket:
    receipt = store.receipt(code)
    skus = line_items(receipt, order.sku)
    refund_type, refund_amount = None, None
    if order.refund is not None:
        preview_refund(store, receipt, skus, order.refund)
        refund_type, refund_amount = order.refund.refund_type, order.refund.refund_amount
    elif order.type is TicketType.CANCEL and not receipt.recurring:
        refund_type = RefundType.FULL  # a cncl on a one-off purchase refunds it in full
    ticket = Ticket(
        ticket_id=0,  # numbered only once it passes every check, so failures leave no gaps
        receipt=receipt,
        type=order.type,
        status=Status.OPEN,
        reason=order.reason,
        skus=skus,
        opened=now,
        updated=now,
        source=Source.API,
        refund_type=refund_type,
        refund_amount=refund_amount,
        retain_subscription=order.retain_subscription,
        expiration=now + EXPIRY,
    )
    _check_clashes(store, ticket)
    ticket.ticket_id = store.new_ticket_id()
    _add_comment(store, ticket, now, order.comment, Action.OPENED)
    store.tickets[ticket.ticket_id] = ticket
    return ticket


def update_ticket(store: TicketStore, ticket: Ticket, order: UpdateOrder, now: datetime) -> None:
    if order.edit is Edit.CHANGE:
        assert order.type is not None
        _change(store, ticket, order.type)
    elif order.edit is Edit.CLOSE:
        if not ticket.is_open:
            raise bad_request("The ticket is already closed")
        # Closing by hand cancels the ticket: an open refund request is dropped.
        ticket.status, ticket.closed = Status.CLOSED, now
        ticket.resolution, ticket.expiration = Resolution.WITHDRAWN, None
    elif order.edit is Edit.REOPEN:
        if ticket.is_open:
            raise bad_request("Only closed tickets can be reopened")
        _check_clashes(store, dataclasses.replace(ticket, status=Status.REOPENED), ticket)
        ticket.status, ticket.closed = Status.REOPENED, None
        ticket.resolution, ticket.expiration = None, now + EXPIRY
    _add_comment(store, ticket, now, order.comment, EDIT_ACTIONS[order.edit])


def acknowledge_return(store: TicketStore, ticket_id: int | None, now: datetime) -> None:
    """The vendor got the physical item back: the refund completes and the ticket closes.

    Unlike GET and PUT, this endpoint tells "not found" (400) from "not yours" (403): the seed
    documents both answers for it.
    """
    if ticket_id is not None and store.is_foreign(ticket_id):
        raise forbidden("Access denied: the ticket belongs to another account")
    ticket = store.ticket(ticket_id) if ticket_id is not None else None
    if ticket is None:
        raise bad_request("Ticket not found")
    if not ticket.receipt.physical:
        raise bad_request("The ticket is not for a physical purchase")
    if not (ticket.is_open and ticket.refunds_sale):
        raise bad_request("The ticket has no open refund to complete")
    ticket.status, ticket.closed = Status.CLOSED, now
    ticket.resolution, ticket.expiration = Resolution.COMPLETED, None
    _add_comment(store, ticket, now, "Return received.", Action.REFUND_ACKED)


def _change(store: TicketStore, ticket: Ticket, new_type: TicketType) -> None:
    if not ticket.is_open:
        raise bad_request("Only open tickets can be changed")
    refund_type = None
    if new_type is TicketType.REFUND or (
        new_type is TicketType.CANCEL and not ticket.receipt.recurring
    ):
        refund_type = RefundType.FULL  # "Tickets changed to rfnd will be full refunds."
    changed = dataclasses.replace(
        ticket, type=new_type, refund_type=refund_type, refund_amount=None
    )
    _check_clashes(store, changed, ticket)
    ticket.type, ticket.refund_type, ticket.refund_amount = new_type, refund_type, None


def _check_clashes(store: TicketStore, ticket: Ticket, itself: Ticket | None = None) -> None:
    """400 when ``ticket`` would duplicate what another ticket on the receipt already does."""
    others = [t for t in store.tickets_on(ticket.receipt) if t is not itself]
    if ticket.refunds_sale and any(
        t.is_open and t.refunds_sale and t.overlaps(ticket.skus) for t in others
    ):
        raise bad_request("Refund ticket already open")
    if (
        ticket.type is TicketType.CANCEL
        and ticket.receipt.recurring
        and any(t.in_effect and t.cancels_billing for t in others)
    ):
        raise bad_request("Subscription already canceled")


def _add_comment(
    store: TicketStore, ticket: Ticket, now: datetime, text: str | None, action: Action
) -> None:
    ticket.comments.append(Comment(store.new_comment_id(), now, text, action, Role.VENDOR))
    ticket.updated = now
