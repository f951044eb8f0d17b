"""ClickBank simulator: POST /tickets/{receipt}, its parameter rules and its effect on receipts."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest

from gateway.sandbox.clickbank.vocab import REASONS, REQUEST_TYPES
from tests.sandbox.clickbank_support import (
    CANCEL_REASON,
    CANCELED_SUBSCRIPTION,
    FOREIGN_RECEIPT,
    FULL_REFUND,
    MULTI_ITEM_GBP,
    NOT_PARTIAL_CAD,
    ONE_OFF_EUR,
    ONE_OFF_USD,
    PHYSICAL_OPEN_REFUND,
    RECURRING_USD,
    REFUND_REASON,
    TECH_REASON,
    assert_plain_text_error,
    entries,
    tickets_api,
)
from tests.support.sandbox import Sandbox

StartSandbox = Callable[..., AbstractContextManager[Sandbox]]

CANCEL = {"type": "cncl", "reason": CANCEL_REASON}
TECH = {"type": "tech", "reason": TECH_REASON}
UNKNOWN_RECEIPT = "NOPE2345"
# Every documented reason code with the request type it belongs to.
EVERY_REASON = [
    (word, code) for word, ticket_type in REQUEST_TYPES.items() for code in REASONS[ticket_type]
]
PERCENT_CASES = [
    ("1", 200),
    ("80", 200),
    ("50.25", 200),
    ("0.99", 400),
    ("80.01", 400),
    ("50.123", 400),
    ("-5", 400),
    ("abc", 400),
]


def partial(kind: str, amount: str) -> dict[str, str]:
    return {**FULL_REFUND, "refundType": kind, "refundAmount": amount}


def test_refund_on_a_one_off_sale_opens_a_ticket(sandbox: Sandbox) -> None:
    # given
    api = tickets_api(sandbox)
    # when
    response = api.create(ONE_OFF_USD, **FULL_REFUND, comment="Customer asked by phone.")
    # then
    assert response.status_code == 200, response.text
    ticket = response.json()
    assert ticket["receipt"] == ONE_OFF_USD
    assert (ticket["type"], ticket["status"], ticket["source"]) == ("REFUND", "OPEN", "API")
    assert ticket["refundType"] == "FULL"
    assert ticket["refundAmount"] == {"@nil": "true"}
    assert ticket["closedDate"] == {"@nil": "true"}
    assert ticket["description"] == REASONS[REQUEST_TYPES["rfnd"]][REFUND_REASON]
    assert ticket["comments"]["action"] == "OPENED"
    assert ticket["comments"]["commentRole"] == "VENDOR"
    assert ticket["comments"]["comment"] == "Customer asked by phone."
    assert "refund the sale in full" in ticket["note"]
    assert int(ticket["ticketid"]) >= 5_000_001
    assert api.ticket(ticket["ticketid"]) == ticket


def test_form_body_parameters_are_ignored(sandbox: Sandbox) -> None:
    # given: the parameters only in a form-encoded body
    api = tickets_api(sandbox)
    # when
    response = api.post(f"/{ONE_OFF_USD}", data=TECH)
    # then
    assert_plain_text_error(response, 400, "type")


@pytest.mark.parametrize(
    ("params", "named"),
    [
        pytest.param({"reason": TECH_REASON}, "type", id="type missing"),
        pytest.param({"type": "refund", "reason": REFUND_REASON}, "type", id="type unknown"),
        pytest.param({"type": "tech"}, "reason", id="reason missing"),
        pytest.param({"type": "tech", "reason": "ticket.type.tech_support.99"}, "reason"),
        pytest.param({"type": "rfnd", "reason": CANCEL_REASON}, "reason", id="other type's"),
        pytest.param({"type": "rfnd", "reason": REFUND_REASON}, "refundType", id="rfnd alone"),
        pytest.param({**FULL_REFUND, "refundType": "full"}, "refundType", id="lower case"),
        pytest.param({**FULL_REFUND, "refundType": "PARTIAL_PERCENT"}, "refundAmount"),
        pytest.param({**FULL_REFUND, "refundType": "PARTIAL_AMOUNT"}, "refundAmount"),
        pytest.param({**TECH, "retainSubscription": "yes"}, "retainSubscription"),
    ],
)
def test_invalid_parameters_are_400_naming_them(
    sandbox: Sandbox, params: dict[str, str], named: str
) -> None:
    api = tickets_api(sandbox)
    response = api.create(ONE_OFF_USD, **params)
    assert_plain_text_error(response, 400, named)


def test_every_documented_reason_is_accepted_for_its_type(sandbox: Sandbox) -> None:
    # given: an unknown receipt, checked only after the parameters
    api = tickets_api(sandbox)
    # when
    answers = {
        code: api.create(UNKNOWN_RECEIPT, type=word, reason=code, refundType="FULL").text
        for word, code in EVERY_REASON
    }
    # then: every reason passed; only the receipt is wrong
    assert len(answers) == 24
    assert set(answers.values()) == {f"Receipt {UNKNOWN_RECEIPT} not found"}


@pytest.mark.parametrize("receipt", [UNKNOWN_RECEIPT, FOREIGN_RECEIPT])
def test_unknown_and_foreign_receipts_are_400(sandbox: Sandbox, receipt: str) -> None:
    api = tickets_api(sandbox)
    response = api.create(receipt, **TECH)
    assert_plain_text_error(response, 400, f"Receipt {receipt} not found")


@pytest.mark.parametrize(("amount", "status"), PERCENT_CASES)
def test_partial_percent_is_1_to_80_with_two_decimals(
    sandbox: Sandbox, amount: str, status: int
) -> None:
    api = tickets_api(sandbox)
    response = api.create(ONE_OFF_USD, **partial("PARTIAL_PERCENT", amount))
    assert response.status_code == status, response.text
    if status == 200:
        assert response.json()["refundType"] == "PARTIAL_PERCENT"
        assert response.json()["refundAmount"] == f"{float(amount):.2f}"
    else:
        assert_plain_text_error(response, 400, "refundAmount")


@pytest.mark.parametrize(
    ("amount", "status"),
    [("61.64", 200), ("0.01", 200), ("61.65", 400), ("0", 400), ("10.001", 400)],
)
def test_partial_amount_is_bounded_by_the_sale_in_customer_currency(
    sandbox: Sandbox, amount: str, status: int
) -> None:
    # given: 67.00 USD paid as 61.64 EUR, so 61.65 is too much even though it is under 67
    api = tickets_api(sandbox)
    # when
    response = api.create(ONE_OFF_EUR, **partial("PARTIAL_AMOUNT", amount))
    # then
    assert response.status_code == status, response.text
    if status == 200:
        assert response.json()["refundAmount"] == amount
        assert "EUR" in response.json()["note"]


def test_partial_refund_for_a_vendor_not_enabled_is_403(sandbox: Sandbox) -> None:
    api = tickets_api(sandbox)
    response = api.create(NOT_PARTIAL_CAD, **partial("PARTIAL_PERCENT", "10"))
    assert_plain_text_error(response, 403, "partial refunds")


def test_full_refund_for_a_vendor_not_enabled_for_partial_is_fine(sandbox: Sandbox) -> None:
    api = tickets_api(sandbox)
    response = api.create(NOT_PARTIAL_CAD, **FULL_REFUND)
    assert response.status_code == 200, response.text


def test_partial_refunds_switched_off_in_settings_are_403(start_sandbox: StartSandbox) -> None:
    # given
    with start_sandbox(clickbank_partial_refunds_enabled=False) as sandbox:
        api = tickets_api(sandbox)
        # when
        created = api.create(ONE_OFF_USD, **partial("PARTIAL_AMOUNT", "5"))
        preview = api.get(
            f"/refundAmounts/{ONE_OFF_USD}",
            params={"refundType": "PARTIAL_PERCENT", "refundAmount": "10"},
        )
        # then
        assert_plain_text_error(created, 403, "partial refunds")
        assert_plain_text_error(preview, 403, "partial refunds")
        assert api.create(ONE_OFF_USD, **FULL_REFUND).status_code == 200


def test_sku_selects_one_line_item(sandbox: Sandbox) -> None:
    # given: a three-item cart
    api = tickets_api(sandbox)
    # when
    first = api.create(MULTI_ITEM_GBP, **FULL_REFUND, sku="BOOK-01")
    second = api.create(MULTI_ITEM_GBP, **FULL_REFUND, sku="DVD-02")
    again = api.create(MULTI_ITEM_GBP, **FULL_REFUND, sku="BOOK-01")
    whole_cart = api.create(MULTI_ITEM_GBP, **FULL_REFUND)
    # then: refunds on different items coexist; an overlapping one does not
    assert first.json()["productItemNo"] == "BOOK-01"
    assert second.json()["productItemNo"] == "DVD-02"
    assert_plain_text_error(again, 400, "Refund ticket already open")
    assert_plain_text_error(whole_cart, 400, "Refund ticket already open")


def test_unknown_sku_is_400(sandbox: Sandbox) -> None:
    api = tickets_api(sandbox)
    response = api.create(MULTI_ITEM_GBP, **FULL_REFUND, sku="NOPE-99")
    assert_plain_text_error(response, 400, "sku")


def test_ticket_on_a_whole_cart_has_no_single_item_number(sandbox: Sandbox) -> None:
    api = tickets_api(sandbox)
    response = api.create(MULTI_ITEM_GBP, **TECH)
    assert response.json()["productItemNo"] == {"@nil": "true"}


def test_partial_amount_is_bounded_by_the_selected_line_item(sandbox: Sandbox) -> None:
    # given: BOOK-01 is 22.91 GBP of a 45.03 GBP cart
    api = tickets_api(sandbox)
    # when
    too_much = api.create(MULTI_ITEM_GBP, **partial("PARTIAL_AMOUNT", "22.92"), sku="BOOK-01")
    just_right = api.create(MULTI_ITEM_GBP, **partial("PARTIAL_AMOUNT", "22.91"), sku="BOOK-01")
    # then
    assert_plain_text_error(too_much, 400, "22.91 GBP")
    assert just_right.status_code == 200


def test_second_refund_on_a_receipt_is_refused(sandbox: Sandbox) -> None:
    # given: the sample receipt already has an open refund ticket
    api = tickets_api(sandbox)
    # when
    response = api.create(PHYSICAL_OPEN_REFUND, **FULL_REFUND)
    # then
    assert response.status_code == 400
    assert response.text == "Refund ticket already open"


def test_cancel_on_a_one_off_sale_refunds_it(sandbox: Sandbox) -> None:
    # given
    api = tickets_api(sandbox)
    # when
    canceled = api.create(ONE_OFF_USD, **CANCEL)
    refund_after = api.create(ONE_OFF_USD, **FULL_REFUND)
    # then: the cncl is a full refund, so a refund is now already open
    assert canceled.json()["type"] == "CANCEL"
    assert canceled.json()["refundType"] == "FULL"
    assert "refund the sale in full" in canceled.json()["note"]
    assert refund_after.text == "Refund ticket already open"


def test_cancel_on_a_subscription_only_stops_billing(sandbox: Sandbox) -> None:
    # given
    api = tickets_api(sandbox)
    # when
    canceled = api.create(RECURRING_USD, **CANCEL)
    cancel_again = api.create(RECURRING_USD, **CANCEL)
    refund_after = api.create(RECURRING_USD, **FULL_REFUND)
    # then: no refund was issued, so a refund may still be asked for
    assert canceled.json()["refundType"] == {"@nil": "true"}
    assert "cancel future billing without a refund" in canceled.json()["note"]
    assert cancel_again.status_code == 400
    assert cancel_again.text == "Subscription already canceled"
    assert refund_after.status_code == 200, refund_after.text


def test_refund_on_a_subscription_also_cancels_billing(sandbox: Sandbox) -> None:
    # given
    api = tickets_api(sandbox)
    # when
    refunded = api.create(RECURRING_USD, **FULL_REFUND)
    cancel_after = api.create(RECURRING_USD, **CANCEL)
    # then
    assert "refund the sale in full and cancel future billing" in refunded.json()["note"]
    assert cancel_after.text == "Subscription already canceled"


def test_refund_retaining_the_subscription_leaves_billing_alone(sandbox: Sandbox) -> None:
    # given
    api = tickets_api(sandbox)
    # when
    refunded = api.create(RECURRING_USD, **FULL_REFUND, retainSubscription="true")
    cancel_after = api.create(RECURRING_USD, **CANCEL)
    # then
    assert "keep the subscription" in refunded.json()["note"]
    assert cancel_after.status_code == 200, cancel_after.text


def test_cancel_on_an_already_canceled_subscription_is_refused(sandbox: Sandbox) -> None:
    api = tickets_api(sandbox)
    response = api.create(CANCELED_SUBSCRIPTION, **CANCEL)
    assert_plain_text_error(response, 400, "Subscription already canceled")


def test_tech_tickets_do_not_clash(sandbox: Sandbox) -> None:
    api = tickets_api(sandbox)
    statuses = [api.create(PHYSICAL_OPEN_REFUND, **TECH).status_code for _ in range(2)]
    assert statuses == [200, 200]


def test_created_ticket_is_listed_under_its_receipt(sandbox: Sandbox) -> None:
    # given
    api = tickets_api(sandbox)
    created = api.create(ONE_OFF_USD, **TECH).json()
    # when
    listed = api.get("/list", params={"receipt": ONE_OFF_USD})
    # then
    assert [t["ticketid"] for t in entries(listed.json()["ticketData"])] == [created["ticketid"]]
