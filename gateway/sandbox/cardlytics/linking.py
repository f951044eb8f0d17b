"""Account linking: the HTTP calls behind the Link SDK (upstreams.md B2, C2#13).

- ``GET /v2/data/accountLink``: ``{accountLinks, accounts, requestId}``, or 204 with no body when
  the customer has no link (never had one, or it was deleted), as the seed says.
- ``POST /v2/data/accountLink`` ``{"linkProvider": "PLAID_HOSTED", "redirect_uri": ...}``: opens
  a link in state ``LinkingInitiated`` and answers ``{accountLinkId, linkUrl, requestId}``.
  ``linkUrl`` is the simulator's stand-in for the provider's hosted page: opening it links one
  card and redirects (303) to ``redirect_uri`` with ``accountLinkId`` and ``status`` added.
- ``DELETE /v2/data/accountLink/{accountLinkId}``: answers ``true``; 404 for a link this customer
  does not have.

All need the customer's own session (401 otherwise). ``no-user-available`` has nothing linked and
cannot start a link (400).
"""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from gateway.sandbox.cardlytics.bodies import Problems, read_json_object
from gateway.sandbox.cardlytics.data import LINKED, LINKING_INITIATED, new_id
from gateway.sandbox.cardlytics.errors import not_found
from gateway.sandbox.cardlytics.model import Account, AccountLink, Customer, iso
from gateway.sandbox.cardlytics.request_ids import request_id
from gateway.sandbox.cardlytics.sessions import CustomerDep
from gateway.sandbox.cardlytics.state import SimDep
from gateway.sandbox.control import CONTROL_PREFIX

__all__ = ["LINK_PROVIDERS", "router"]

ACCOUNT_LINK = "/v2/data/accountLink"
LINK_PROVIDERS = frozenset({"PLAID_HOSTED"})

router = APIRouter()


@router.get(ACCOUNT_LINK, response_model=None)
async def account_link_status(customer: CustomerDep) -> dict[str, Any] | Response:
    if not customer.links:
        return Response(status_code=204)
    return {
        "accountLinks": [_link(link) for link in customer.links.values()],
        "accounts": [_account(account) for account in customer.accounts],
        "requestId": request_id(),
    }


@router.post(ACCOUNT_LINK)
async def start_account_link(request: Request, customer: CustomerDep) -> dict[str, Any]:
    body = await read_json_object(request)
    problems = Problems()
    provider = body.get("linkProvider")
    if provider not in LINK_PROVIDERS:
        problems.add(
            f"linkProvider: '{provider}' is not one of {', '.join(sorted(LINK_PROVIDERS))}"
        )
    redirect_uri = body.get("redirect_uri")
    if not isinstance(redirect_uri, str) or urlsplit(redirect_uri).scheme not in {"http", "https"}:
        problems.add("redirect_uri: must be an absolute http(s) URL")
    if customer.anonymous:
        problems.add("x-source-customer-id: no-user-available cannot link an account")
    problems.raise_if_any()
    link_id = new_id(random.Random())
    customer.links[link_id] = AccountLink(
        link_id, LINKING_INITIATED, str(provider), datetime.now(UTC), redirect_uri=redirect_uri
    )
    return {
        "accountLinkId": link_id,
        "linkUrl": _link_url(request, link_id),
        "requestId": request_id(),
    }


@router.delete(f"{ACCOUNT_LINK}/{{account_link_id}}")
async def delete_account_link(account_link_id: str, customer: CustomerDep) -> bool:
    if customer.links.pop(account_link_id, None) is None:
        raise not_found("Account link not found")
    return True


@router.get(f"{CONTROL_PREFIX}/link/{{account_link_id}}", include_in_schema=False)
async def hosted_link_page(account_link_id: str, sim: SimDep) -> RedirectResponse:
    """What the customer's browser does at the provider: the card is linked at once."""
    found = sim.find_link(account_link_id)
    if found is None:
        raise not_found("Account link not found")
    customer, link = found
    if link.status != LINKED:
        link.status = LINKED
        link.accounts.append(_new_account(customer, link))
    query = urlencode({"accountLinkId": link.link_id, "status": link.status})
    separator = "&" if urlsplit(link.redirect_uri or "").query else "?"
    return RedirectResponse(f"{link.redirect_uri}{separator}{query}", status_code=303)


def _link_url(request: Request, link_id: str) -> str:
    # request.base_url drops the mount point (/cardlytics); root_path keeps it
    origin = f"{request.url.scheme}://{request.url.netloc}"
    return f"{origin}{request.scope.get('root_path', '')}{CONTROL_PREFIX}/link/{link_id}"


def _new_account(customer: Customer, link: AccountLink) -> Account:
    rng = random.Random(hashlib.sha256(f"{customer.customer_id}:{link.link_id}".encode()).digest())
    return Account(
        account_id=new_id(rng),
        card_type=rng.choice(("CREDIT", "DEBIT")),
        last4=f"{rng.randrange(10000):04d}",
        iin=rng.choice(("411111", "424242", "510510", "555555")),
        opened=datetime.now(UTC),
    )


def _link(link: AccountLink) -> dict[str, Any]:
    return {
        "accountLinkId": link.link_id,
        "status": link.status,
        "linkProvider": link.provider,
        "createdDate": iso(link.created),
    }


def _account(account: Account) -> dict[str, Any]:
    return {
        "accountId": account.account_id,
        "status": "OPEN",
        "cardType": account.card_type,
        "last4": account.last4,
    }
