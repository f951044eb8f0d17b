"""ClickBank simulator: GET /tickets/refundAmounts/{receipt} (PartialRefundData, seed 002, A7)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sandbox.clickbank_support import (
    FOREIGN_RECEIPT,
    MULTI_ITEM_GBP,
    NOT_PARTIAL_CAD,
    ONE_OFF_EUR,
    ONE_OFF_USD,
    RECURRING_USD,
    assert_plain_text_error,
    tickets_api,
)
from tests.support.sandbox import Sandbox


def amounts(sandbox: Sandbox, receipt: str, **params: str) -> dict[str, Any]:
    response = tickets_api(sandbox).get(f"/refundAmounts/{receipt}", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_full_refund_is_the_whole_sale_in_every_currency(sandbox: Sandbox) -> None:
    # refundAmount is marked required but means nothing for FULL, so it may be left out (C3#3).
    body = amounts(sandbox, ONE_OFF_EUR, refundType="FULL")
    assert body == {
        "usdAmount": "67.00",
        "customerAmount": "61.64",
        "customerCurrency": "EUR",
        "productAmount": "67.00",
        "productCurrency": "USD",
    }


def test_partial_percent_scales_every_amount(sandbox: Sandbox) -> None:
    body = amounts(sandbox, ONE_OFF_EUR, refundType="PARTIAL_PERCENT", refundAmount="50")
    assert (body["usdAmount"], body["customerAmount"], body["productAmount"]) == (
        "33.50",
        "30.82",
        "33.50",
    )


def test_partial_amount_is_exact_in_the_customers_currency(sandbox: Sandbox) -> None:
    body = amounts(sandbox, ONE_OFF_EUR, refundType="PARTIAL_AMOUNT", refundAmount="10.00")
    assert (body["customerAmount"], body["customerCurrency"]) == ("10.00", "EUR")
    assert body["usdAmount"] == "10.87"  # 10 / 61.64 of 67.00 USD


def test_sku_limits_the_amounts_to_one_line_item(sandbox: Sandbox) -> None:
    whole = amounts(sandbox, MULTI_ITEM_GBP, refundType="FULL")
    book = amounts(sandbox, MULTI_ITEM_GBP, refundType="FULL", sku="BOOK-01")
    assert (whole["customerAmount"], book["customerAmount"]) == ("45.03", "22.91")
    assert book["productAmount"] == "29.00"


def test_unknown_sku_is_400(sandbox: Sandbox) -> None:
    api = tickets_api(sandbox)
    response = api.get(
        f"/refundAmounts/{MULTI_ITEM_GBP}", params={"refundType": "FULL", "sku": "X"}
    )
    assert_plain_text_error(response, 400, "sku")


@pytest.mark.parametrize(
    ("params", "named"),
    [
        pytest.param({}, "refundType", id="refundType missing"),
        pytest.param({"refundType": "full"}, "refundType", id="lower case"),
        pytest.param({"refundType": "PARTIAL_QUANTITY"}, "refundType", id="response-only"),
        pytest.param({"refundType": "PARTIAL_PERCENT"}, "refundAmount", id="percent no amount"),
        pytest.param({"refundType": "PARTIAL_AMOUNT"}, "refundAmount", id="amount no amount"),
        pytest.param({"refundType": "PARTIAL_PERCENT", "refundAmount": "81"}, "between 1 and 80"),
        pytest.param({"refundType": "PARTIAL_PERCENT", "refundAmount": "0.5"}, "between 1 and 80"),
        pytest.param({"refundType": "PARTIAL_PERCENT", "refundAmount": "12.345"}, "two decimal"),
        pytest.param({"refundType": "PARTIAL_AMOUNT", "refundAmount": "47.01"}, "exceeds"),
        pytest.param({"refundType": "PARTIAL_AMOUNT", "refundAmount": "0.00"}, "greater than 0"),
    ],
)
def test_invalid_refund_parameters_are_400(
    sandbox: Sandbox, params: dict[str, str], named: str
) -> None:
    api = tickets_api(sandbox)
    response = api.get(f"/refundAmounts/{ONE_OFF_USD}", params=params)
    assert_plain_text_error(response, 400, named)


@pytest.mark.parametrize("kind", ["PARTIAL_PERCENT", "PARTIAL_AMOUNT"])
def test_partial_preview_for_a_vendor_not_enabled_is_403(sandbox: Sandbox, kind: str) -> None:
    api = tickets_api(sandbox)
    response = api.get(
        f"/refundAmounts/{NOT_PARTIAL_CAD}", params={"refundType": kind, "refundAmount": "5"}
    )
    assert_plain_text_error(response, 403, "partial refunds")


def test_full_preview_for_a_vendor_not_enabled_for_partial_is_fine(sandbox: Sandbox) -> None:
    body = amounts(sandbox, NOT_PARTIAL_CAD, refundType="FULL")
    assert (body["customerAmount"], body["customerCurrency"]) == ("66.64", "CAD")


@pytest.mark.parametrize("receipt", ["NOPE2345", FOREIGN_RECEIPT])
def test_unknown_or_foreign_receipt_is_400(sandbox: Sandbox, receipt: str) -> None:
    api = tickets_api(sandbox)
    response = api.get(f"/refundAmounts/{receipt}", params={"refundType": "FULL"})
    assert_plain_text_error(response, 400, "not found")


def test_a_preview_opens_no_ticket(sandbox: Sandbox) -> None:
    # given
    api = tickets_api(sandbox)
    # when
    amounts(sandbox, RECURRING_USD, refundType="PARTIAL_PERCENT", refundAmount="25")
    # then
    assert api.get("/count", params={"receipt": RECURRING_USD}).text == "0"
