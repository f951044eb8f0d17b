"""Session, account linking and the customer profile.

Account statuses, types and opt-in flags are plain strings: they are only shown, never branched
on, so any value Cardlytics sends is kept as it is.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import ConfigDict, Field, JsonValue, model_validator

from gateway.upstreams.cardlytics.models.base import Id, Timestamp, WireModel
from gateway.upstreams.cardlytics.models.enums import LinkProvider

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


class Card(WireModel):
    source_account_id: Id | None = None
    source_customer_id: Id | None = None
    last4: str | None = None
    iin: str | None = None
    card_type: str | None = None
    status: str | None = None
    network_identifier: int | None = None
    open_date: Timestamp | None = None
    close_date: Timestamp | None = None


class Account(WireModel):
    source_account_id: Id
    source_customer_ids: tuple[Id, ...] = ()
    primary_source_customer_id: Id | None = None
    status: str | None = None
    type: str | None = None
    source_portfolio_id: str | None = None
    account_open_date: Timestamp | None = None
    account_close_date: Timestamp | None = None
    cards: tuple[Card, ...] = ()


class Portfolio(WireModel):
    source_portfolio_id: str
    institution_id: Id | None = None
    institution_name: str | None = None
    portfolio_name: str | None = None
    tagline: str | None = None
    description: str | None = None
    reward_currency_unit: str | None = None
    reward_to_currency_conversion_rate: Decimal | None = None


class Customer(WireModel):
    """getCustomerProfile; the customer is the one the session token was issued for."""

    source_customer_id: Id
    institution_id: Id | None = None
    organization_id: Id | None = None
    postal_code: str | None = None
    country: str | None = None
    customer_creation_date: Timestamp | None = None
    enrollment_start_date: Timestamp | None = None
    enrollment_end_date: Timestamp | None = None
    enrollment_opt_in_status: str | None = None
    alert_opt_in_status: tuple[str, ...] = ()
    targeting_indicator: str | None = None
    portfolios: tuple[Portfolio, ...] = ()
    accounts: tuple[Account, ...] = ()
    request_id: str | None = None

    @property
    def reward_currency(self) -> str | None:
        """The currency of this customer's reward amounts, from their (first) portfolio."""
        units = [p.reward_currency_unit for p in self.portfolios if p.reward_currency_unit]
        return units[0] if units else None
