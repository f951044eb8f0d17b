"""Session, account linking and the customer profile.

Account statuses, types and opt-in flags are plain strings: they are only shown, never branched
on, so any value Cardlytics sends is kept as it is. The profile is a msgspec Struct read from the
answer's bytes (``read_customer``); the rest are pydantic models.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec
from pydantic import ConfigDict, Field, JsonValue, model_validator

from gateway.upstreams.cardlytics.models.base import Id, WireModel
from gateway.upstreams.cardlytics.models.enums import LinkProvider
from gateway.upstreams.cardlytics.models.structs import (
    Part,
    finite,
    read_fields,
    wire_id,
    wire_timestamp,
)

__all__ = [
    "Account",
    "AccountLink",
    "AccountLinkRequest",
    "AccountLinkStarted",
    "AccountLinkStatus",
    "Card",
    "Customer",
    "LinkedAccount",
    "Portfolio",
    "SessionStarted",
    "read_customer",
]


class SessionStarted(WireModel):
    session_token: str = Field(min_length=1, repr=False)


class AccountLink(WireModel):
    """One entry of ``accountLinks``: undocumented in shape (C2#13), so the raw entry is kept."""

    status: str | None = None
    # what deleteAccountLink needs; the name is a guess at an undocumented field (C2#13)
    account_link_id: Id | None = None
    raw: dict[str, JsonValue] = Field(default_factory=dict)


class LinkedAccount(WireModel):
    account_id: Id | None = None
    status: str | None = None
    card_type: str | None = None
    last4: str | None = None


class AccountLinkStatus(WireModel):
    """``GET /v2/data/accountLink``; a 204 or an empty body means nothing is linked."""

    account_links: tuple[AccountLink, ...] = ()
    accounts: tuple[LinkedAccount, ...] = ()

    @property
    def linked(self) -> bool:
        return bool(self.account_links or self.accounts)

    @model_validator(mode="before")
    @classmethod
    def _wrap_links(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not isinstance(data.get("accountLinks"), list):
            return data
        # null entries stand for "no link / link deleted" in the seed's pseudo-code
        links = [_link_entry(entry) for entry in data["accountLinks"] if entry is not None]
        return {**data, "accountLinks": links}


def _link_entry(entry: Any) -> Any:
    if isinstance(entry, dict):
        link_id = next(
            (entry[k] for k in ("accountLinkId", "linkId", "id") if entry.get(k) is not None),
            None,
        )
        return {"status": entry.get("status"), "accountLinkId": link_id, "raw": entry}
    if isinstance(entry, str):
        return {"status": entry}
    return entry


class AccountLinkStarted(WireModel):
    account_link_id: Id
    link_url: str = Field(min_length=1)


class AccountLinkRequest(WireModel):
    model_config = ConfigDict(extra="forbid")

    link_provider: LinkProvider
    # snake_case on the wire, as the SDK documents it (C2#14)
    redirect_uri: str = Field(min_length=1, alias="redirect_uri")


# getCustomerProfile is read straight from its bytes into msgspec Structs (``read_customer``), as
# getAds is: the home screen reads it on every request, for the reward currency alone. Each
# ``_Wire`` subclass declares as ``Any`` what its ``__post_init__`` reads by pydantic's rules
# (ids, timestamps); the public class declares what that leaves, for the readers.
class Card(Part, frozen=True):
    source_account_id: str | None = None
    source_customer_id: str | None = None
    last4: str | None = None
    iin: str | None = None
    card_type: str | None = None
    status: str | None = None
    network_identifier: int | None = None
    open_date: datetime | None = None
    close_date: datetime | None = None

    def __post_init__(self) -> None:
        read_fields(self, ("source_account_id", "source_customer_id"), wire_id)
        read_fields(self, ("open_date", "close_date"), wire_timestamp)


class _WireCard(Card, frozen=True):
    source_account_id: Any = None
    source_customer_id: Any = None
    open_date: Any = None
    close_date: Any = None


class Account(Part, frozen=True):
    source_account_id: str
    source_customer_ids: tuple[str, ...] = ()
    primary_source_customer_id: str | None = None
    status: str | None = None
    type: str | None = None
    source_portfolio_id: str | None = None
    account_open_date: datetime | None = None
    account_close_date: datetime | None = None
    cards: tuple[Card, ...] = ()

    def __post_init__(self) -> None:
        msgspec.structs.force_setattr(self, "source_account_id", wire_id(self.source_account_id))
        read_fields(self, ("primary_source_customer_id",), wire_id)
        read_fields(self, ("account_open_date", "account_close_date"), wire_timestamp)
        msgspec.structs.force_setattr(
            self, "source_customer_ids", tuple(map(wire_id, self.source_customer_ids))
        )


class _WireAccount(Account, frozen=True):
    source_account_id: Any
    source_customer_ids: tuple[Any, ...] = ()
    primary_source_customer_id: Any = None
    account_open_date: Any = None
    account_close_date: Any = None
    cards: tuple[_WireCard, ...] = ()


class Portfolio(Part, frozen=True):
    source_portfolio_id: str
    institution_id: str | None = None
    institution_name: str | None = None
    portfolio_name: str | None = None
    tagline: str | None = None
    description: str | None = None
    reward_currency_unit: str | None = None
    reward_to_currency_conversion_rate: Decimal | None = None

    def __post_init__(self) -> None:
        read_fields(self, ("institution_id",), wire_id)
        finite(self.reward_to_currency_conversion_rate)


class _WirePortfolio(Portfolio, frozen=True):
    institution_id: Any = None


class Customer(Part, frozen=True):
    """getCustomerProfile; the customer is the one the session token was issued for."""

    source_customer_id: str
    institution_id: str | None = None
    organization_id: str | None = None
    postal_code: str | None = None
    country: str | None = None
    customer_creation_date: datetime | None = None
    enrollment_start_date: datetime | None = None
    enrollment_end_date: datetime | None = None
    enrollment_opt_in_status: str | None = None
    alert_opt_in_status: tuple[str, ...] = ()
    targeting_indicator: str | None = None
    portfolios: tuple[Portfolio, ...] = ()
    accounts: tuple[Account, ...] = ()
    request_id: str | None = None

    def __post_init__(self) -> None:
        msgspec.structs.force_setattr(self, "source_customer_id", wire_id(self.source_customer_id))
        read_fields(self, ("institution_id", "organization_id"), wire_id)
        read_fields(self, _CUSTOMER_TIMES, wire_timestamp)

    @property
    def reward_currency(self) -> str | None:
        """The currency of this customer's reward amounts, from their (first) portfolio."""
        units = [p.reward_currency_unit for p in self.portfolios if p.reward_currency_unit]
        return units[0] if units else None


_CUSTOMER_TIMES = ("customer_creation_date", "enrollment_start_date", "enrollment_end_date")


class _WireCustomer(Customer, frozen=True):
    source_customer_id: Any
    institution_id: Any = None
    organization_id: Any = None
    customer_creation_date: Any = None
    enrollment_start_date: Any = None
    enrollment_end_date: Any = None
    portfolios: tuple[_WirePortfolio, ...] = ()
    accounts: tuple[_WireAccount, ...] = ()


_CUSTOMER = msgspec.json.Decoder(_WireCustomer, strict=False, float_hook=Decimal)


def read_customer(content: bytes | str) -> Customer:
    """A getCustomerProfile answer from its JSON text; raises ``msgspec.DecodeError`` (its
    subclass ``msgspec.ValidationError`` for a wrong shape)."""
    return _CUSTOMER.decode(content)
