"""``GET /v2/customerProfile/*``: the profile, reward summary and redemptions (upstreams.md B3).

The customer is the one the session was started for (401 for any other). ``no-user-available``
has no profile: 404. Reward totals count what the customer keeps: a reversed redemption and its
reversal both drop out. ``pending`` holds unsettled rewards and every other period the settled
ones, by redemption date: calendar months and years, and ``previousTwelveMonths`` the last 365
days. ``getCustomerAdRedemptions`` lists every redemption, reversals (negative amounts) included,
with the ads they were earned on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi import APIRouter

from gateway.sandbox.cardlytics.ads import render_ad
from gateway.sandbox.cardlytics.errors import not_found
from gateway.sandbox.cardlytics.model import Account, Customer, Redemption, iso, number
from gateway.sandbox.cardlytics.request_ids import request_id
from gateway.sandbox.cardlytics.sessions import CustomerDep
from gateway.sandbox.cardlytics.state import SimDep

__all__ = ["router"]

PREFIX = "/v2/customerProfile"
INSTITUTION_ID = "7094"  # the prefix of seed 000's Cardlytics customer id
ORGANIZATION_ID = "1001"
PORTFOLIO = {
    "sourcePortfolioId": "SANDBOX-Standard",
    "institutionId": INSTITUTION_ID,
    "institutionName": "Sandbox Bank",
    "portfolioName": "Standard",
    "tagline": "Cash back where you already shop",
    "description": "Activate offers, pay with your linked card, get cash back.",
    "rewardCurrencyUnit": "USD",
    "rewardToCurrencyConversionRate": "1.0",
}
# Card network codes: not documented; one per IIN's first digit, Visa 1, Mastercard 2.
_NETWORKS = {"4": 1, "5": 2}

router = APIRouter(prefix=PREFIX)


def _known(customer: Customer) -> Customer:
    if customer.anonymous:
        raise not_found("No customer profile for no-user-available")
    return customer


@router.get("/getCustomerProfile")
async def customer_profile(customer: CustomerDep) -> dict[str, Any]:
    customer = _known(customer)
    digest = hashlib.sha256(f"profile:{customer.customer_id}".encode()).hexdigest()
    return {
        "sourceCustomerId": customer.customer_id,
        "institutionId": INSTITUTION_ID,
        "organizationId": ORGANIZATION_ID,
        "postalCode": f"{int(digest[:8], 16) % 90000 + 10000}",
        "country": "US",
        "customerCreationDate": iso(customer.created),
        "enrollmentStartDate": iso(customer.created),
        "enrollmentEndDate": None,
        "enrollmentOptInStatus": "ACTIVE",
        "alertOptInStatus": ["ALL"],
        "targetingIndicator": "TARGET",
        "portfolios": [PORTFOLIO],
        "accounts": [_account(customer.customer_id, a) for a in customer.accounts],
        "requestId": request_id(),
    }


@router.get("/getCustomerRewardSummary")
async def reward_summary(customer: CustomerDep) -> dict[str, Any]:
    customer = _known(customer)
    return {
        "rewardsSummary": summarise(customer.redemptions, datetime.now(UTC)),
        "requestId": request_id(),
    }


@router.get("/getCustomerAdRedemptions")
async def ad_redemptions(customer: CustomerDep, sim: SimDep) -> dict[str, Any]:
    customer = _known(customer)
    redemptions = sorted(customer.redemptions, key=lambda r: r.date)
    ad_ids = dict.fromkeys(r.ad_id for r in redemptions)
    return {
        "redemptions": [r.to_json() for r in redemptions],
        "ads": {
            ad_id: render_ad(sim.ad(ad_id), customer.ads[ad_id], serve_token=None, assets=True)
            for ad_id in ad_ids
        },
        "requestId": request_id(),
    }


def summarise(redemptions: Iterable[Redemption], now: datetime) -> dict[str, Any]:
    kept = [r for r in redemptions if r.counts]
    settled = [r for r in kept if not r.pending]
    last_month = (now.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")

    def within(keep: Callable[[datetime], bool]) -> dict[str, Any]:
        return _totals([r for r in settled if keep(r.date)])

    pending = _totals([r for r in kept if r.pending])
    return {
        "allTime": _totals(settled),
        "pending": {
            "redemptionCount": pending["redemptionCount"],
            "totalRedeemingTransactionAmount": pending["totalRedeemingTransactionAmount"],
        },
        "yearToDate": within(lambda d: d.year == now.year),
        "previousCalendarYear": within(lambda d: d.year == now.year - 1),
        "previousMonth": within(lambda d: d.strftime("%Y-%m") == last_month),
        "previousTwelveMonths": within(lambda d: now - timedelta(days=365) <= d <= now),
        "currentMonth": within(lambda d: (d.year, d.month) == (now.year, now.month)),
    }


def _totals(redemptions: list[Redemption]) -> dict[str, Any]:
    return {
        "redemptionCount": len(redemptions),
        "redeemedOfferCount": len({r.ad_id for r in redemptions}),
        "totalRedeemingTransactionAmount": number(
            sum((r.transaction_amount for r in redemptions), Decimal(0))
        ),
        "totalRewardAmount": number(sum((r.amount for r in redemptions), Decimal(0))),
    }


def _account(customer_id: str, account: Account) -> dict[str, Any]:
    card = {
        "sourceAccountId": account.account_id,
        "sourceCustomerId": customer_id,
        "last4": account.last4,
        "iin": account.iin,
        "cardType": account.card_type,
        "status": "OPEN",
        "networkIdentifier": _NETWORKS.get(account.iin[:1], 0),
        "openDate": iso(account.opened),
        "closeDate": None,
    }
    return {
        "sourceAccountId": account.account_id,
        "sourceCustomerIds": [customer_id],
        "primarySourceCustomerId": customer_id,
        "status": "OPEN",
        "type": "CRD" if account.card_type == "CREDIT" else "DDA",
        "sourcePortfolioId": PORTFOLIO["sourcePortfolioId"],
        "accountOpenDate": iso(account.opened),
        "accountCloseDate": None,
        "cards": [card],
    }
