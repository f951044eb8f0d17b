"""What the ClickBank simulator tests share: sample keys and data, a small client, XSD checks."""

from __future__ import annotations

import atexit
import re
import socket
import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

import httpx
from defusedxml import ElementTree as SafeET

from gateway.settings import SANDBOX_DEFAULTS
from tests.support.sandbox import Sandbox

API_KEY = SANDBOX_DEFAULTS.clickbank_api_key  # read + write
READ_ONLY_KEY = SANDBOX_DEFAULTS.clickbank_read_only_key
DEVELOPER_KEY = SANDBOX_DEFAULTS.clickbank_developer_key
JSON = "application/json"
XML = "application/xml"

# Curated sample data (gateway/sandbox/clickbank/README.md).
ONE_OFF_USD = "K8XQ2ZB7"  # digital, 47.00 USD, no tickets
RECURRING_USD = "M3RV9TQ2"  # subscription, 29.95 USD, no tickets
ONE_OFF_EUR = "E2NF6KJ8"  # digital, 67.00 USD = 61.64 EUR, no tickets
MULTI_ITEM_GBP = "G5LB8CU3"  # physical cart BOOK-01 / DVD-02 / BONUS-03, no tickets
NOT_PARTIAL_CAD = "T9WC3HM6"  # subscription of a vendor without partial refunds
PHYSICAL_OPEN_REFUND = "P7HD4WX5"  # ticket 4100001: open FULL refund on a physical item
DIGITAL_OPEN_REFUND = "R6YP2DV9"  # ticket 4100002: open 50 % refund, two comments
CANCELED_SUBSCRIPTION = "H4ZA7RN1"  # ticket 4100003: completed cncl
TECH_AUD = "W8JS5PL4"  # tickets 4100004 (closed tech) and 4100005 (open tech)
FOREIGN_RECEIPT = "Z7QF3VN8"  # another account's; its ticket is 4900001

PHYSICAL_REFUND_TICKET = 4100001
PARTIAL_REFUND_TICKET = 4100002
COMPLETED_CANCEL_TICKET = 4100003
CLOSED_TECH_TICKET = 4100004
OPEN_TECH_TICKET = 4100005
FOREIGN_TICKET = 4900001

BUSY_WEEK = {"createDateFrom": "2024-09-09", "createDateTo": "2024-09-15"}  # 250 tickets
TECH_REASON = "ticket.type.tech_support.1"
REFUND_REASON = "ticket.type.refund.2"
CANCEL_REASON = "ticket.type.cancel.1"
FULL_REFUND = {"type": "rfnd", "reason": REFUND_REASON, "refundType": "FULL"}

# One client for every call: a fresh one per request costs an SSL context (~30 ms) each time.
HTTP = httpx.Client(timeout=10)
atexit.register(HTTP.close)

XS = "{http://www.w3.org/2001/XMLSchema}"
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
XS_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")


@dataclass(frozen=True)
class TicketsApi:
    """``<sandbox>/clickbank/rest/1.3/tickets`` over real HTTP, as a client would call it."""

    base: str
    auth: str | None = API_KEY
    accept: str | None = JSON

    def with_(self, **changes: Any) -> TicketsApi:
        return replace(self, **changes)

    def call(
        self,
        method: str,
        path: str = "",
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        sent: dict[str, str] = {}
        if self.auth is not None:
            sent["Authorization"] = self.auth
        if self.accept is not None:
            sent["Accept"] = self.accept
        sent.update(headers or {})
        url = f"{self.base}{path}"
        return HTTP.request(method, url, params=params, headers=sent, **kwargs)

    def get(self, path: str = "", **kwargs: Any) -> httpx.Response:
        return self.call("GET", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.call("PUT", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.call("POST", path, **kwargs)

    def create(self, receipt: str, **params: str) -> httpx.Response:
        return self.post(f"/{receipt}", params=params)

    def ticket(self, ticket_id: int | str) -> dict[str, Any]:
        response = self.get(f"/{ticket_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


def tickets_api(sandbox: Sandbox, **settings: Any) -> TicketsApi:
    return TicketsApi(f"{sandbox.clickbank_url}/tickets", **settings)


def entries(value: Any) -> list[Any]:
    """A mapped-JSON repeated element as a list: absent, one bare object, or an array."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def assert_plain_text_error(response: httpx.Response, status: int, *words: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/plain")
    for word in words:
        assert word in response.text, response.text


def raw_http(url: str, request_head: str) -> tuple[int, bytes]:
    """Send a hand-written request (for framings httpx will not produce); status and raw reply."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80)) as sock:
        sock.sendall(request_head.replace("\n", "\r\n").encode() + b"\r\n\r\n")
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    return int(reply.split(b" ", 2)[1]), reply


# --- structural XSD validation: the subset of XML Schema ClickBank's schemas use ---


@dataclass(frozen=True)
class Particle:
    name: str
    type: str
    nillable: bool
    min_occurs: int
    unbounded: bool


@dataclass(frozen=True)
class Schema:
    roots: dict[str, str]  # element name -> type
    sequences: dict[str, list[Particle]]  # complex type -> its sequence
    enums: dict[str, set[str]]  # simple type -> values


def parse_xml(text: bytes) -> ET.Element:
    """Parse a simulator answer without trusting it (no entities, no external references)."""
    root: ET.Element = SafeET.fromstring(text)
    return root


def parse_schema(text: bytes) -> Schema:
    root = parse_xml(text)
    roots = {e.get("name", ""): e.get("type", "") for e in root.findall(f"{XS}element")}
    sequences = {
        ct.get("name", ""): [
            Particle(
                name=e.get("name", ""),
                type=e.get("type", ""),
                nillable=e.get("nillable") == "true",
                min_occurs=int(e.get("minOccurs", "1")),
                unbounded=e.get("maxOccurs") == "unbounded",
            )
            for e in ct.findall(f"{XS}sequence/{XS}element")
        ]
        for ct in root.findall(f"{XS}complexType")
    }
    enums = {
        st.get("name", ""): {e.get("value", "") for e in st.iter(f"{XS}enumeration")}
        for st in root.findall(f"{XS}simpleType")
    }
    return Schema(roots, sequences, enums)


def assert_valid(schema: Schema, element: ET.Element, type_name: str) -> None:
    """``element``'s children follow ``type_name``'s sequence: order, occurrence, nil, values."""
    particles = schema.sequences[type_name]
    position = 0
    seen: dict[str, int] = {}
    for child in element:
        names = [p.name for p in particles]
        assert child.tag in names, f"{child.tag} is not in {type_name}"
        index = names.index(child.tag)
        assert index >= position, f"{child.tag} is out of the sequence order of {type_name}"
        position = index
        particle = particles[index]
        seen[child.tag] = seen.get(child.tag, 0) + 1
        assert particle.unbounded or seen[child.tag] == 1, f"{child.tag} repeated"
        _assert_value(schema, child, particle)
    for particle in particles:
        assert seen.get(particle.name, 0) >= particle.min_occurs, f"{particle.name} missing"


def _assert_value(schema: Schema, child: ET.Element, particle: Particle) -> None:
    if child.get(XSI_NIL) == "true":
        assert particle.nillable, f"{particle.name} is not nillable"
        assert len(child) == 0 and not child.text
        return
    if particle.type in schema.sequences:
        assert_valid(schema, child, particle.type)
        return
    text = child.text or ""
    if particle.type in schema.enums:
        assert text in schema.enums[particle.type], f"{particle.name}={text}"
    elif particle.type == "xs:int":
        assert -(2**31) <= int(text) < 2**31
    elif particle.type == "xs:decimal":
        assert re.fullmatch(r"-?\d+(\.\d+)?", text), f"{particle.name}={text}"
    elif particle.type == "xs:dateTime":
        assert XS_DATETIME.fullmatch(text), f"{particle.name}={text}"
