"""What the driver sends: each benchmarked operation from ``operations/`` with its variables and
tokens, built from the sandbox's own sample data so every request is one that succeeds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson

from gateway.auth import Role, issue_sandbox_token
from gateway.customer_ids import CustomerIdHasher
from gateway.settings import Settings

__all__ = [
    "OPERATIONS",
    "Customer",
    "Fixture",
    "Operation",
    "Request",
    "load_fixture",
    "viewer_token",
]

OPERATIONS_DIR = Path(__file__).resolve().parent.parent / "operations"
# 250 seeded tickets were opened this week: the list walks pages of 100 + 100 + 50.
TICKET_WEEK = {"createDateFrom": "2024-09-09", "createDateTo": "2024-09-15"}
# Seeded tickets on receipts the refund preview accepts (the ClickBank simulator's README).
TICKETS = [("4100001", "P7HD4WX5"), ("4100002", "R6YP2DV9"), ("4100003", "H4ZA7RN1")]
IMPRESSIONS = 20
HOME_OFFERS = 50
# A customer has about 40 running visible offers; the parked ones and those ended lately make
# the home screen's 50.
HOME_FILTER = {
    "channel": "MOBILE_APP",
    "visibilityStates": ["VISIBLE", "PARKED"],
    "includeExpired": True,
}
HOME_ADS_QUERY = {
    "channel": "MobileApp",
    "visibilityStates": ["PARKED", "VISIBLE"],
    "returnMetadata": True,
    "includeExpiredAds": True,
}
DEFAULT_ADS_QUERY = {"channel": "MobileApp", "returnMetadata": True}


@dataclass(frozen=True)
class Request:
    token: str
    variables: dict[str, Any]


@dataclass(frozen=True)
class Customer:
    token: str
    # ids of the offers getAds gives them with the default filter, in rank order, and the ones
    # not yet activated
    offers: list[str]
    activatable: list[str]
    # how many offers the home screen's filter gives them
    home_offers: int
    # the hashed id the gateway sends upstream as x-source-customer-id (for the Node reference)
    source_id: str = ""


@dataclass(frozen=True)
class Fixture:
    customers: list[Customer]
    agent_token: str


@dataclass(frozen=True)
class Operation:
    name: str
    build: Callable[[Fixture], list[Request]]
    # changes upstream state: the sandbox is reset before each run so every run starts alike
    resets: bool = False

    @property
    def document(self) -> str:
        return (OPERATIONS_DIR / f"{self.name}.graphql").read_text()

    def bodies(self, fixture: Fixture) -> list[dict[str, Any]]:
        document = self.document
        return [
            {
                "headers": {"Authorization": f"Bearer {r.token}"},
                "body": orjson.dumps({"query": document, "variables": r.variables}).decode(),
            }
            for r in self.build(fixture)
        ]


def _home(f: Fixture) -> list[Request]:
    variables = {"first": HOME_OFFERS, "filter": HOME_FILTER}
    return [Request(c.token, variables) for c in f.customers if c.home_offers >= HOME_OFFERS]


def _offer_detail(f: Fixture) -> list[Request]:
    return [Request(c.token, {"id": c.offers[i]}) for i in range(5) for c in f.customers]


def _activate(f: Fixture) -> list[Request]:
    # Customer by customer, round robin: the warm-up meets every customer before the timed
    # window, and each offer is activated once until the list runs out (then again: a no-op).
    most = max(len(c.activatable) for c in f.customers)
    return [
        Request(c.token, {"offerId": c.activatable[i]})
        for i in range(most)
        for c in f.customers
        if i < len(c.activatable)
    ]


def _impressions(f: Fixture) -> list[Request]:
    return [
        Request(
            c.token,
            {
                "events": [
                    {"offerId": offer, "type": "IMPRESSION", "displayPosition": position}
                    for position, offer in enumerate(c.offers[:IMPRESSIONS])
                ]
            },
        )
        for c in f.customers
    ]


def _ticket_search(f: Fixture) -> list[Request]:
    return [Request(f.agent_token, {"filter": TICKET_WEEK, "first": 100})]


def _ticket_detail(f: Fixture) -> list[Request]:
    return [Request(f.agent_token, {"id": t, "receipt": r}) for t, r in TICKETS]


OPERATIONS = [
    Operation("home", _home),
    Operation("offer_detail", _offer_detail),
    Operation("activate_offer", _activate, resets=True),
    Operation("record_impressions", _impressions),
    Operation("agent_ticket_search", _ticket_search),
    Operation("agent_ticket_detail", _ticket_detail),
]


def viewer_token(settings: Settings, subject: str, role: Role = Role.CUSTOMER) -> str:
    """What ``rewards-gateway token`` prints for ``subject``."""
    return issue_sandbox_token(
        subject,
        role=role,
        shared_key=settings.jwt_shared_key,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )


def load_fixture(settings: Settings, sandbox_url: str, customers: int) -> Fixture:
    """Tokens and each customer's offers, read from the sandbox directly (not through the
    process under test)."""
    hasher = CustomerIdHasher(settings.customer_id_hmac_key.get_secret_value().encode())

    def token(subject: str, role: Role) -> str:
        return viewer_token(settings, subject, role)

    found: list[Customer] = []
    with httpx.Client(base_url=f"{sandbox_url}/cardlytics") as client:
        for n in range(customers):
            subject = f"bench-{n:03d}"
            source_id = hasher(subject)
            ads = _ads(client, source_id, settings, DEFAULT_ADS_QUERY)
            home = _ads(client, source_id, settings, HOME_ADS_QUERY)
            found.append(
                Customer(
                    token=token(subject, Role.CUSTOMER),
                    offers=[str(ad["adId"]) for ad in ads],
                    activatable=[
                        str(ad["adId"]) for ad in ads if ad.get("activationState") != "ACTIVATED"
                    ],
                    home_offers=len(home),
                    source_id=source_id,
                )
            )
    return Fixture(found, token("bench-agent", Role.AGENT))


def start_session(client: httpx.Client, customer: str, settings: Settings) -> str:
    """A Cardlytics session token for ``customer`` (a hashed id), from the sandbox at
    ``client``'s base URL."""
    session = client.post(
        "/v2/session/startSession",
        headers={"x-source-customer-id": customer},
        json={
            "clientId": settings.cardlytics_client_id,
            "secret": settings.cardlytics_secret.get_secret_value(),
        },
    )
    session.raise_for_status()
    token: str = session.json()["sessionToken"]
    return token


def _ads(
    client: httpx.Client, customer: str, settings: Settings, query: dict[str, Any]
) -> list[dict[str, Any]]:
    ads = client.post(
        "/v2/ads/getAds",
        headers={
            "x-source-customer-id": customer,
            "Authorization": f"Bearer {start_session(client, customer, settings)}",
        },
        json=query,
    )
    ads.raise_for_status()
    answer = ads.json()
    by_id: dict[str, dict[str, Any]] = answer["ads"]
    ranked = answer.get("rankings", {}).get("all") or list(by_id)
    return [{"adId": ad_id, **by_id[str(ad_id)]} for ad_id in ranked if str(ad_id) in by_id]
