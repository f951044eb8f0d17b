"""CSA tickets (seed 000): what we create, what GET returns, and the webhook's ticket update."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, Field, field_validator, model_validator

from gateway.upstreams.cardlytics.models.base import Id, Timestamp, WireModel
from gateway.upstreams.cardlytics.models.enums import (
    OpenResolutionType,
    OpenTicketStatus,
    ProcessingStatus,
)

__all__ = ["MAX_TRANSACTION_IDS", "NewTicket", "Ticket", "TicketUpdate"]

#: "Publisher can include up to 10 different transactions" (seed 000).
MAX_TRANSACTION_IDS = 10


def _blank_resolution(value: Any) -> Any:
    # "Blank" is listed as a resolution type but means there is none (C1#6).
    return None if value in ("", "Blank") else value


Resolution = Annotated[OpenResolutionType | None, BeforeValidator(_blank_resolution)]


def _number_if_digits(value: str) -> int | str:
    # The sample sends ids as JSON numbers (C1#5). A leading zero would be lost, so keep those
    # (and anything not plain ASCII digits) as strings.
    if value.isascii() and value.isdigit() and (value == "0" or not value.startswith("0")):
        return int(value)
    return value


class NewTicket(WireModel):
    """A ticket to create; validated before sending. ``source_customer_id`` is the hashed id."""

    model_config = ConfigDict(extra="forbid")

    source_ticket_id: str = Field(min_length=1, max_length=200)
    source_customer_id: str = Field(min_length=1)
    offer_id: Id
    transaction_ids: tuple[Id, ...] = Field(min_length=1, max_length=MAX_TRANSACTION_IDS)
    description: str = Field(min_length=1)
    # informational for the FI (on GET the same name means the managing agent, C1#10)
    author_email_address: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+$")

    def payload(self) -> dict[str, Any]:
        body = self.model_dump(mode="json", exclude_none=True)
        body["offerId"] = _number_if_digits(self.offer_id)
        body["transactionIds"] = [_number_if_digits(t) for t in self.transaction_ids]
        return body


class Ticket(WireModel):
    """A ticket as GET returns it; keyed by ``source_ticket_id`` (cdlxTicketId may repeat)."""

    cdlx_ticket_id: Id
    source_ticket_id: Id
    # opaque: not necessarily the value we sent (C1#3)
    source_customer_id: Id
    status: OpenTicketStatus
    description: str
    offer_id: Id
    transaction_ids: tuple[Id, ...]
    ticket_created_date: Timestamp
    redemption_ids: tuple[Id, ...] = ()
    ticket_solved_date: Timestamp | None = None
    activation_date: Timestamp | None = None
    resolution_type: Resolution = None
    cardlytics_response: str | None = None
    # the agent managing the issue
    author_email_address: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _redemption_ids_under_either_key(cls, data: Any) -> Any:
        # The table says redemptionId, the sample redemptionIds; either may be scalar (C1#4).
        if not isinstance(data, dict):
            return data
        found: list[Any] = []
        for key in ("redemptionIds", "redemptionId"):
            value = data.get(key)
            if value is not None:
                found.extend(value if isinstance(value, list) else [value])
        return {**data, "redemptionIds": found}

    @field_validator("redemption_ids")
    @classmethod
    def _once_each(cls, ids: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(ids))


class TicketUpdate(WireModel):
    """A ticket update delivered on the webhook (first the processing result, then the outcome).

    Unknown fields are kept in ``model_extra`` so the receiver can log their names (C1#7).
    """

    model_config = ConfigDict(extra="allow")

    source_ticket_id: Id
    source_customer_id: Id
    processing_status: ProcessingStatus
    processing_status_message: str | None = None
    cdlx_ticket_id: Id | None = None
    status: OpenTicketStatus | None = None
    resolution_type: Resolution = None
    cardlytics_response: str | None = None
    description: str | None = None
    offer_id: Id | None = None
    transaction_ids: tuple[Id, ...] = ()
    author_email_address: str | None = None
