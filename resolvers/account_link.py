"""Account linking: is a card linked, start linking one, unlink it (customers only)."""

from __future__ import annotations

from urllib.parse import urlsplit

from gateway.context import Context
from gateway.upstreams.cardlytics.models import AccountLinkStarted, AccountLinkStatus
from resolvers.viewer import require_customer

__all__ = ["delete_link", "is_redirect_uri", "load_link_status", "start_link"]


def is_redirect_uri(value: str) -> bool:
    """An absolute http(s) URL: where the hosted link page sends the customer back."""
    parts = urlsplit(value.strip())
    return parts.scheme in ("https", "http") and bool(parts.netloc)


async def load_link_status(context: Context) -> AccountLinkStatus:
    customer = require_customer(context)
    return await context.upstreams.cardlytics.account_links.status(customer)


async def start_link(context: Context, redirect_uri: str) -> AccountLinkStarted:
    customer = require_customer(context)
    return await context.upstreams.cardlytics.account_links.start(customer, redirect_uri.strip())


async def delete_link(context: Context, account_link_id: str) -> AccountLinkStatus | None:
    """Unlink, then read the status back so the screen shows what is left.

    None when the customer has no such link: checked on the status first, so a wrong id never
    reaches the DELETE (which would also answer 404 for it).
    """
    customer = require_customer(context)
    links = context.upstreams.cardlytics.account_links
    before = await links.status(customer)
    if account_link_id not in {link.account_link_id for link in before.account_links}:
        return None
    await links.delete(customer, account_link_id)
    return await links.status(customer)
