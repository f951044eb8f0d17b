"""Domain objects to wire records: every value formatted as the text ClickBank sends."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from gateway.sandbox.clickbank.clock import xs_datetime
from gateway.sandbox.clickbank.model import Comment, Ticket
from gateway.sandbox.clickbank.money import Amounts
from gateway.sandbox.clickbank.render import Record
from gateway.sandbox.clickbank.vocab import REASONS, RefundType, Resolution, TicketType

__all__ = ["effect_note", "partial_refund_record", "ticket_record"]

# Reason code -> text over every type: a ticket keeps its reason when its type is changed.
REASON_TEXT = {code: text for reasons in REASONS.values() for code, text in reasons.items()}


def ticket_record(ticket: Ticket) -> Record:
    customer = ticket.receipt.customer
    return {
        "ticketid": str(ticket.ticket_id),
        "receipt": ticket.receipt.receipt,
        "status": ticket.status.value,
        "type": ticket.type.value,
        "comments": [_comment_record(comment) for comment in ticket.comments],
        "openedDate": xs_datetime(ticket.opened),
        "closedDate": _datetime(ticket.closed),
        "description": REASON_TEXT.get(ticket.reason),
        "refundType": ticket.refund_type.value if ticket.refund_type else None,
        "refundAmount": _decimal(ticket.refund_amount),
        "customerFirstName": customer.first_name,
        "customerLastName": customer.last_name,
        "email": customer.email,
        "emailAtOrderTime": customer.email_at_order_time,
        "expirationDate": _datetime(ticket.expiration),
        "locale": customer.locale,
        "note": effect_note(ticket),
        # One line item named; a ticket on a whole multi-item cart has no single item number.
        "productItemNo": ticket.skus[0] if len(ticket.skus) == 1 else None,
        "updateTime": xs_datetime(ticket.updated),
        "source": ticket.source.value,
    }


def partial_refund_record(amounts: Amounts) -> Record:
    return {
        "usdAmount": _decimal(amounts.usd),
        "customerAmount": _decimal(amounts.customer),
        "customerCurrency": amounts.customer_currency,
        "productAmount": _decimal(amounts.product),
        "productCurrency": amounts.product_currency,
    }


def effect_note(ticket: Ticket) -> str | None:
    """What the ticket does to its receipt, e.g. "Pending: refund the sale in full and cancel
    future billing." None for tech-support tickets, which do nothing to the sale."""
    if ticket.type is TicketType.TECH_SUPPORT:
        return None
    if ticket.type is TicketType.CANCEL and ticket.receipt.recurring:
        effects = ["cancel future billing without a refund"]
    else:
        effects = [_refund_phrase(ticket)]
        if ticket.cancels_billing:
            effects.append("cancel future billing")
        elif ticket.receipt.recurring:
            effects.append("keep the subscription")
    text = " and ".join(effects)
    if ticket.resolution is Resolution.WITHDRAWN:
        return f"Withdrawn: the ticket was closed, so it will not {text}."
    if ticket.resolution is Resolution.COMPLETED:
        return f"Completed: {text}."
    return f"Pending: {text}."


def _refund_phrase(ticket: Ticket) -> str:
    amount = _decimal(ticket.refund_amount)
    if ticket.refund_type is RefundType.PARTIAL_PERCENT:
        return f"refund {amount}% of the sale"
    if ticket.refund_type is RefundType.PARTIAL_AMOUNT:
        return f"refund {amount} {ticket.receipt.customer_currency} of the sale"
    return "refund the sale in full"


def _comment_record(comment: Comment) -> Record:
    return {
        "commentId": str(comment.comment_id),
        "date": xs_datetime(comment.date),
        "comment": comment.comment,
        "action": comment.action.value,
        "commentRole": comment.role.value,
    }


def _datetime(value: datetime | None) -> str | None:
    return xs_datetime(value) if value is not None else None


def _decimal(value: Decimal | None) -> str | None:
    return f"{value:.2f}" if value is not None else None
