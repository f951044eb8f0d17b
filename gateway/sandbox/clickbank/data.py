"""Deterministic sample data: named receipts and tickets to test against, plus a seeded backlog.

The named ("curated") receipts and tickets below never depend on the seed, so the README and tests
can name them. The backlog (one receipt per ticket, dates between June and mid-September 2024)
is drawn from ``random.Random(seed)``. Every sample date lies before ``SAMPLE_NOW``; tickets
created through the API use the real clock.

Facts tests rely on:
- exactly ``BUSY_WEEK_TICKETS`` (250) of our tickets were opened in ``BUSY_WEEK`` (2024-09-09 to
  2024-09-15) and none on 2024-09-16..23, so that create-date window pages 100 + 100 + 50;
- ``FOREIGN_TICKETS`` tickets belong to another account (``otherco``) and are invisible to our keys,
  some of them inside the busy week.
"""

from __future__ import annotations

import pickle
import random
import string
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cache

from gateway.sandbox.clickbank.clock import TZ
from gateway.sandbox.clickbank.model import Comment, Customer, LineItem, Receipt, Ticket, Vendor
from gateway.sandbox.clickbank.vocab import (
    REASONS,
    Action,
    RefundType,
    Resolution,
    Role,
    Source,
    Status,
    TicketType,
)

__all__ = [
    "BUSY_WEEK",
    "BUSY_WEEK_TICKETS",
    "FIRST_NEW_TICKET_ID",
    "FOREIGN_VENDOR",
    "LEGACY_VENDOR",
    "OUR_ACCOUNT",
    "SAMPLE_NOW",
    "SANDBOX_VENDOR",
    "SampleData",
    "build_sample_data",
]

OUR_ACCOUNT = "sandboxco"  # the account every sample key belongs to
SANDBOX_VENDOR = Vendor("sandboxvnd", OUR_ACCOUNT, partial_refunds=True)
LEGACY_VENDOR = Vendor("legacyvnd", OUR_ACCOUNT, partial_refunds=False)
FOREIGN_VENDOR = Vendor("othervnd", "otherco", partial_refunds=True)

SAMPLE_NOW = datetime(2024, 10, 1, 9, 0, tzinfo=TZ)
BUSY_WEEK = (date(2024, 9, 9), date(2024, 9, 15))
BUSY_WEEK_TICKETS = 250
BACKLOG = (date(2024, 6, 3), date(2024, 9, 8))
BACKLOG_TICKETS = 150
FOREIGN_TICKETS = 12
FIRST_BULK_TICKET_ID = 4_200_001
FIRST_FOREIGN_TICKET_ID = 4_900_001
FIRST_NEW_TICKET_ID = 5_000_001
# An unanswered open ticket expires this long after its last update (action EXPIRED).
EXPIRY = timedelta(days=14)

LOCALES = {"USD": "en_US", "EUR": "de_DE", "GBP": "en_GB", "CAD": "en_CA", "AUD": "en_AU"}
RECEIPT_ALPHABET = string.ascii_uppercase + string.digits

DIGITAL = (
    LineItem("EBOOK-01", "Keto Kitchen e-book", Decimal("47.00")),
    LineItem("COURSE-01", "Guitar in 30 Days video course", Decimal("67.00")),
    LineItem("APP-01", "Focus Timer Pro licence", Decimal("25.00")),
    LineItem("AUDIO-01", "Sleep Sounds audio pack", Decimal("19.00")),
)
SUBSCRIPTIONS = (
    LineItem("MEMBER-01", "Fitness Club monthly membership", Decimal("29.95")),
    LineItem("MEMBER-02", "Stock Picks newsletter", Decimal("19.99")),
    LineItem("MEMBER-03", "Language Lab subscription", Decimal("49.00")),
)
PHYSICAL = (
    LineItem("GADGET-01", "Posture corrector", Decimal("89.00")),
    LineItem("BOOK-01", "Printed cookbook", Decimal("29.00")),
    LineItem("DVD-02", "Yoga DVD set", Decimal("19.00")),
    LineItem("BONUS-03", "Recipe cards", Decimal("9.00")),
)
FIRST_NAMES = ("Ada", "Grace", "Alan", "Barbara", "Donald", "Margaret", "Ken", "Radia", "Hedy")
LAST_NAMES = ("Lovelace", "Hopper", "Turing", "Liskov", "Knuth", "Hamilton", "Thompson", "Perlman")
REMARKS = {
    Role.CUSTOMER: ("Please sort this out.", "Thank you.", "I have not heard back yet."),
    Role.VENDOR: ("We are looking into it.", "Sorry for the trouble.", "Done on our side."),
    Role.CBCSR: ("Ticket reviewed by ClickBank support.",),
    Role.CBSYSTEM: ("Ticket processed.",),
}
OPENED_BY = {
    Source.CUSTOMER_WAM: Role.CUSTOMER,
    Source.API: Role.VENDOR,
    Source.VENDOR_WAM: Role.VENDOR,
    Source.CSR_ADMIN: Role.CBCSR,
}


@dataclass
class SampleData:
    receipts: dict[str, Receipt]
    tickets: dict[int, Ticket]
    next_comment_id: int


def build_sample_data(seed: int) -> SampleData:
    """A fresh, private copy of the sample data for ``seed``.

    Built once per seed and then copied through pickle, which keeps the shared references
    (tickets -> receipts) and makes a sandbox reset ~4x cheaper than building again.
    """
    data: SampleData = pickle.loads(_pickled_sample_data(seed))
    return data


@cache
def _pickled_sample_data(seed: int) -> bytes:
    builder = _Builder(random.Random(seed))
    builder.add_curated()
    builder.add_bulk()
    return pickle.dumps(SampleData(builder.receipts, builder.tickets, builder.next_comment_id))


def _at(day: str, clock: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), TZ)


def _customer(first: str, last: str, currency: str, *, old_email: str | None = None) -> Customer:
    email = f"{first}.{last}@example.com".lower()
    return Customer(first, last, email, old_email or email, LOCALES[currency])


class _Builder:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.receipts: dict[str, Receipt] = {}
        self.tickets: dict[int, Ticket] = {}
        self.next_comment_id = 1

    # --- curated: fixed, documented in README.md ---

    def add_curated(self) -> None:
        day = "2024-09-20"
        receipts = (
            self._receipt("K8XQ2ZB7", SANDBOX_VENDOR, ("Ada", "Lovelace"), (DIGITAL[0],), day),
            self._receipt(
                "M3RV9TQ2", SANDBOX_VENDOR, ("Grace", "Hopper"), (SUBSCRIPTIONS[0],), day, True
            ),
            self._receipt(
                "E2NF6KJ8", SANDBOX_VENDOR, ("Alan", "Turing"), (DIGITAL[1],), day, currency="EUR"
            ),
            self._receipt(
                "G5LB8CU3",
                SANDBOX_VENDOR,
                ("Barbara", "Liskov"),
                PHYSICAL[1:],
                day,
                physical=True,
                currency="GBP",
            ),
            self._receipt(
                "T9WC3HM6",
                LEGACY_VENDOR,
                ("Donald", "Knuth"),
                (SUBSCRIPTIONS[2],),
                day,
                True,
                currency="CAD",
            ),
            self._receipt(
                "P7HD4WX5", SANDBOX_VENDOR, ("Hedy", "Lamarr"), PHYSICAL[:1], day, physical=True
            ),
            self._receipt("R6YP2DV9", SANDBOX_VENDOR, ("Ken", "Thompson"), (DIGITAL[1],), day),
            self._receipt(
                "H4ZA7RN1", SANDBOX_VENDOR, ("Radia", "Perlman"), (SUBSCRIPTIONS[1],), day, True
            ),
            self._receipt(
                "W8JS5PL4",
                SANDBOX_VENDOR,
                ("Margaret", "Hamilton"),
                (DIGITAL[2],),
                day,
                currency="AUD",
            ),
            self._receipt("Z7QF3VN8", FOREIGN_VENDOR, ("Claude", "Shannon"), (DIGITAL[3],), day),
        )
        for receipt in receipts:
            self.receipts[receipt.receipt] = receipt
        r = self.receipts
        self._curated_ticket(
            4_100_001, r["P7HD4WX5"], TicketType.REFUND, "ticket.type.refund.2",
            _at("2024-09-26", "10:15"), Source.CUSTOMER_WAM,
            [(Role.CUSTOMER, Action.OPENED, "It does not fit. I will send it back.")],
            refund_type=RefundType.FULL,
        )  # fmt: skip
        self._curated_ticket(
            4_100_002, r["R6YP2DV9"], TicketType.REFUND, "ticket.type.refund.3",
            _at("2024-09-27", "14:30"), Source.API,
            [
                (Role.VENDOR, Action.OPENED, "Half refund agreed with the customer."),
                (Role.CUSTOMER, Action.COMMENTED, "Thank you."),
            ],
            refund_type=RefundType.PARTIAL_PERCENT, refund_amount=Decimal("50.00"),
        )  # fmt: skip
        self._curated_ticket(
            4_100_003, r["H4ZA7RN1"], TicketType.CANCEL, "ticket.type.cancel.5",
            _at("2024-09-24", "08:00"), Source.CUSTOMER_WAM,
            [
                (Role.CUSTOMER, Action.OPENED, "Please stop billing me."),
                (Role.CBSYSTEM, Action.CLOSED, "Future billing canceled."),
            ],
            resolution=Resolution.COMPLETED,
        )  # fmt: skip
        self._curated_ticket(
            4_100_004, r["W8JS5PL4"], TicketType.TECH_SUPPORT, "ticket.type.tech_support.1",
            _at("2024-09-25", "19:40"), Source.CUSTOMER_WAM,
            [
                (Role.CUSTOMER, Action.OPENED, "I cannot log in."),
                (Role.VENDOR, Action.COMMENTED, "A password reset link is on its way."),
                (Role.VENDOR, Action.CLOSED, "Solved."),
            ],
            resolution=Resolution.COMPLETED,
        )  # fmt: skip
        self._curated_ticket(
            4_100_005, r["W8JS5PL4"], TicketType.TECH_SUPPORT, "ticket.type.tech_support.2",
            _at("2024-09-30", "11:00"), Source.CUSTOMER_WAM,
            [(Role.CUSTOMER, Action.OPENED, "The download stops at 90 %.")],
        )  # fmt: skip
        self._curated_ticket(
            FIRST_FOREIGN_TICKET_ID, r["Z7QF3VN8"], TicketType.REFUND, "ticket.type.refund.1",
            _at("2024-09-28", "09:00"), Source.CUSTOMER_WAM,
            [(Role.CUSTOMER, Action.OPENED, "Never arrived.")],
            refund_type=RefundType.FULL,
        )  # fmt: skip

    def _receipt(
        self,
        code: str,
        vendor: Vendor,
        name: tuple[str, str],
        items: tuple[LineItem, ...],
        day: str,
        recurring: bool = False,
        *,
        physical: bool = False,
        currency: str = "USD",
    ) -> Receipt:
        return Receipt(
            receipt=code,
            vendor=vendor,
            customer=_customer(*name, currency),
            items=items,
            ordered=_at(day, "12:00"),
            recurring=recurring,
            physical=physical,
            customer_currency=currency,
            product_currency="USD",
        )

    def _curated_ticket(
        self,
        ticket_id: int,
        receipt: Receipt,
        ticket_type: TicketType,
        reason: str,
        opened: datetime,
        source: Source,
        remarks: list[tuple[Role, Action, str]],
        *,
        refund_type: RefundType | None = None,
        refund_amount: Decimal | None = None,
        resolution: Resolution | None = None,
    ) -> None:
        comments = [
            self._comment(opened + timedelta(hours=6 * n), text, action, role)
            for n, (role, action, text) in enumerate(remarks)
        ]
        self._add_ticket(
            ticket_id, receipt, ticket_type, reason, receipt.skus, source, comments,
            refund_type, refund_amount, resolution,
        )  # fmt: skip

    # --- bulk: seeded ---

    def add_bulk(self) -> None:
        openings = [self._moment(*BACKLOG) for _ in range(BACKLOG_TICKETS)]
        openings += [self._moment(*BUSY_WEEK) for _ in range(BUSY_WEEK_TICKETS)]
        for offset, opened in enumerate(sorted(openings)):
            vendor = SANDBOX_VENDOR if self.rng.random() < 0.8 else LEGACY_VENDOR
            self._bulk_ticket(FIRST_BULK_TICKET_ID + offset, self._bulk_receipt(vendor), opened)
        for offset in range(1, FOREIGN_TICKETS + 1):
            receipt = self._bulk_receipt(FOREIGN_VENDOR)
            self._bulk_ticket(FIRST_FOREIGN_TICKET_ID + offset, receipt, self._moment(*BUSY_WEEK))

    def _moment(self, first: date, last: date) -> datetime:
        start = datetime.combine(first, time(0, 0), TZ)
        span = datetime.combine(last + timedelta(days=1), time(0, 0), TZ) - start
        return start + timedelta(seconds=self.rng.randrange(int(span.total_seconds())))

    def _bulk_receipt(self, vendor: Vendor) -> Receipt:
        rng = self.rng
        code = "".join(rng.choices(RECEIPT_ALPHABET, k=8))
        while code in self.receipts:
            code = "".join(rng.choices(RECEIPT_ALPHABET, k=8))
        kind = rng.choices(("recurring", "physical", "digital"), weights=(3, 2, 5))[0]
        if kind == "recurring":
            items: tuple[LineItem, ...] = (rng.choice(SUBSCRIPTIONS),)
        elif kind == "physical":
            items = tuple(rng.sample(PHYSICAL, rng.choice((1, 1, 2, 3))))
        else:
            items = tuple(rng.sample(DIGITAL, rng.choice((1, 1, 1, 2))))
        currency = rng.choices(tuple(LOCALES), weights=(12, 3, 2, 2, 1))[0]
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        moved = rng.random() < 0.1  # some customers changed their e-mail after ordering
        receipt = Receipt(
            receipt=code,
            vendor=vendor,
            customer=_customer(
                first, last, currency, old_email=f"{first}{code[:3]}@example.com".lower()
            )
            if moved
            else _customer(first, last, currency),
            items=items,
            ordered=SAMPLE_NOW - timedelta(days=200),
            recurring=kind == "recurring",
            physical=kind == "physical",
            customer_currency=currency,
            product_currency="USD",
        )
        self.receipts[code] = receipt
        return receipt

    def _bulk_ticket(self, ticket_id: int, receipt: Receipt, opened: datetime) -> None:
        rng = self.rng
        ticket_type = rng.choices(tuple(TicketType), weights=(5, 3, 2))[0]
        status = rng.choices(tuple(Status), weights=(3, 1, 6))[0]
        source = rng.choices(tuple(OPENED_BY), weights=(6, 2, 1, 1))[0]
        skus = receipt.skus
        if len(skus) > 1 and rng.random() < 0.5:
            skus = (rng.choice(skus),)
        refund_type, refund_amount = self._bulk_refund(receipt, ticket_type, skus)
        resolution = None
        moment = opened
        opener = OPENED_BY[source]
        comments = [self._comment(moment, self._remark(opener), Action.OPENED, opener)]
        if rng.random() < 0.4:
            moment += timedelta(minutes=rng.randrange(30, 3000))
            comments.append(self._comment(moment, self._remark(Role.VENDOR), Action.COMMENTED))
        if status is not Status.OPEN:
            resolution = Resolution.COMPLETED if rng.random() < 0.8 else Resolution.WITHDRAWN
            closer = Role.CBSYSTEM if resolution is Resolution.COMPLETED else Role.VENDOR
            moment += timedelta(minutes=rng.randrange(30, 3000))
            comments.append(self._comment(moment, self._remark(closer), Action.CLOSED, closer))
        if status is Status.REOPENED:
            resolution = None
            moment += timedelta(minutes=rng.randrange(30, 3000))
            comments.append(
                self._comment(moment, "This is not solved.", Action.REOPENED, Role.CUSTOMER)
            )
        reason = rng.choice(tuple(REASONS[ticket_type]))
        self._add_ticket(
            ticket_id, receipt, ticket_type, reason, skus, source, comments,
            refund_type, refund_amount, resolution,
        )  # fmt: skip

    def _bulk_refund(
        self, receipt: Receipt, ticket_type: TicketType, skus: tuple[str, ...]
    ) -> tuple[RefundType | None, Decimal | None]:
        if ticket_type is TicketType.TECH_SUPPORT:
            return None, None
        if ticket_type is TicketType.CANCEL:
            return (None, None) if receipt.recurring else (RefundType.FULL, None)
        roll = self.rng.random()
        if not receipt.vendor.partial_refunds or roll < 0.7:
            return RefundType.FULL, None
        if roll < 0.9:
            return RefundType.PARTIAL_PERCENT, Decimal(self.rng.choice(("10", "25", "50", "80")))
        half = receipt.amounts(skus).customer / 2
        return RefundType.PARTIAL_AMOUNT, half.quantize(Decimal("0.01"))

    def _remark(self, role: Role) -> str:
        return self.rng.choice(REMARKS[role])

    # --- shared ---

    def _comment(
        self, moment: datetime, text: str, action: Action, role: Role = Role.VENDOR
    ) -> Comment:
        comment = Comment(self.next_comment_id, moment, text, action, role)
        self.next_comment_id += 1
        return comment

    def _add_ticket(
        self,
        ticket_id: int,
        receipt: Receipt,
        ticket_type: TicketType,
        reason: str,
        skus: tuple[str, ...],
        source: Source,
        comments: list[Comment],
        refund_type: RefundType | None,
        refund_amount: Decimal | None,
        resolution: Resolution | None,
    ) -> None:
        last = comments[-1]
        closed = last.date if last.action is Action.CLOSED else None
        status = Status.OPEN
        if closed is not None:
            status = Status.CLOSED
        elif any(c.action is Action.REOPENED for c in comments):
            status = Status.REOPENED
        self.tickets[ticket_id] = Ticket(
            ticket_id=ticket_id,
            receipt=receipt,
            type=ticket_type,
            status=status,
            reason=reason,
            skus=skus,
            opened=comments[0].date,
            updated=last.date,
            source=source,
            comments=comments,
            refund_type=refund_type,
            refund_amount=refund_amount,
            closed=closed,
            resolution=resolution if status is Status.CLOSED else None,
            expiration=None if closed else last.date + EXPIRY,
        )
