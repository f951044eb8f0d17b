"""ClickBank simulator: GET and PUT /tickets/{id} and POST /tickets/{id}/returned (seed 002, A4)."""

from __future__ import annotations

import pytest

from tests.sandbox.clickbank_support import (
    CLOSED_TECH_TICKET,
    COMPLETED_CANCEL_TICKET,
    FOREIGN_TICKET,
    FULL_REFUND,
    ONE_OFF_USD,
    OPEN_TECH_TICKET,
    PARTIAL_REFUND_TICKET,
    PHYSICAL_OPEN_REFUND,
    PHYSICAL_REFUND_TICKET,
    READ_ONLY_KEY,
    RECURRING_USD,
    TECH_AUD,
    TECH_REASON,
    TicketsApi,
    assert_plain_text_error,
    entries,
    tickets_api,
)
from tests.support.sandbox import Sandbox

NOT_OURS = [
    pytest.param(4_999_999, id="unknown"),
    pytest.param(FOREIGN_TICKET, id="another account's"),
    pytest.param("abc", id="not a number"),
    pytest.param(2**31, id="beyond xs:int"),
]


def update(api: TicketsApi, ticket_id: int | str, **params: str) -> dict[str, object]:
    response = api.put(f"/{ticket_id}", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


# --- GET /tickets/{id} ---


def test_get_returns_the_ticket_in_mapped_json(sandbox: Sandbox) -> None:
    # given
    api = tickets_api(sandbox)
    # when
    ticket = api.ticket(PARTIAL_REFUND_TICKET)
    # then: every scalar a string, nil as an object, repeated comments as an array
    assert ticket["ticketid"] == str(PARTIAL_REFUND_TICKET)
    assert (ticket["type"], ticket["status"]) == ("REFUND", "OPEN")
    assert (ticket["refundType"], ticket["refundAmount"]) == ("PARTIAL_PERCENT", "50.00")
    assert ticket["closedDate"] == {"@nil": "true"}
    assert [c["action"] for c in ticket["comments"]] == ["OPENED", "COMMENTED"]
    assert all(isinstance(c["commentId"], str) for c in ticket["comments"])
    assert "reason" not in ticket and "ticketId" not in ticket


def test_a_single_comment_is_a_bare_object(sandbox: Sandbox) -> None:
    api = tickets_api(sandbox)
    ticket = api.ticket(PHYSICAL_REFUND_TICKET)
    assert isinstance(ticket["comments"], dict)
    assert ticket["comments"]["action"] == "OPENED"


@pytest.mark.parametrize("ticket_id", NOT_OURS)
def test_get_of_a_ticket_not_ours_is_403(sandbox: Sandbox, ticket_id: int | str) -> None:
    api = tickets_api(sandbox)
    response = api.get(f"/{ticket_id}")
    assert_plain_text_error(response, 403)


# --- PUT /tickets/{id} ---


def test_put_without_action_comments(sandbox: Sandbox) -> None:
    # given
    api = tickets_api(sandbox)
    # when
    ticket = update(api, OPEN_TECH_TICKET, comment="Try another browser.")
    # then
    last = entries(ticket["comments"])[-1]
    assert (last["action"], last["comment"], last["commentRole"]) == (
        "COMMENTED",
        "Try another browser.",
        "VENDOR",
    )
    assert ticket["status"] == "OPEN"
    assert api.ticket(OPEN_TECH_TICKET) == ticket


@pytest.mark.parametrize(
    ("params", "named"),
    [
        pytest.param({}, "comment", id="comment without a comment"),
        pytest.param({"action": "delete", "comment": "x"}, "action", id="unknown action"),
        pytest.param({"action": "change"}, "type", id="change without type"),
        pytest.param({"action": "change", "type": "refund"}, "type", id="change to unknown"),
    ],
)
def test_invalid_put_parameters_are_400(
    sandbox: Sandbox, params: dict[str, str], named: str
) -> None:
    api = tickets_api(sandbox)
    response = api.put(f"/{OPEN_TECH_TICKET}", params=params)
    assert_plain_text_error(response, 400, named)


def test_put_reads_the_query_string_only(sandbox: Sandbox) -> None:
    # given: the action only in a form-encoded body
    api = tickets_api(sandbox)
    # when
    response = api.put(f"/{OPEN_TECH_TICKET}", data={"action": "close", "comment": "x"})
    # then: no action and no comment in the query, and the ticket is untouched
    assert_plain_text_error(response, 400, "comment")
    assert api.ticket(OPEN_TECH_TICKET)["status"] == "OPEN"


@pytest.mark.parametrize("ticket_id", NOT_OURS)
def test_put_on_a_ticket_not_ours_is_403(sandbox: Sandbox, ticket_id: int | str) -> None:
    api = tickets_api(sandbox)
    response = api.put(f"/{ticket_id}", params={"action": "close", "comment": "x"})
    assert_plain_text_error(response, 403)


def test_change_to_rfnd_makes_a_partial_refund_full(sandbox: Sandbox) -> None:
    # given: an open 50 % refund
    api = tickets_api(sandbox)
    # when
    ticket = update(api, PARTIAL_REFUND_TICKET, action="change", type="rfnd")
    # then
    assert (ticket["type"], ticket["refundType"]) == ("REFUND", "FULL")
    assert ticket["refundAmount"] == {"@nil": "true"}
    assert entries(ticket["comments"])[-1]["action"] == "CHANGED"


def test_change_tech_to_rfnd_opens_a_full_refund_on_the_receipt(sandbox: Sandbox) -> None:
    # given
    api = tickets_api(sandbox)
    # when
    ticket = update(api, OPEN_TECH_TICKET, action="change", type="rfnd", comment="Refund it.")
    second_refund = api.create(TECH_AUD, **FULL_REFUND)
    # then
    assert (ticket["type"], ticket["refundType"]) == ("REFUND", "FULL")
    assert entries(ticket["comments"])[-1]["comment"] == "Refund it."
    assert_plain_text_error(second_refund, 400, "Refund ticket already open")


def test_change_refund_to_tech_drops_the_refund(sandbox: Sandbox) -> None:
    # given
    api = tickets_api(sandbox)
    # when
    ticket = update(api, PHYSICAL_REFUND_TICKET, action="change", type="tech")
    new_refund = api.create(PHYSICAL_OPEN_REFUND, **FULL_REFUND)
    # then
    assert (ticket["type"], ticket["refundType"]) == ("TECH_SUPPORT", {"@nil": "true"})
    assert new_refund.status_code == 200, new_refund.text


def test_change_to_cncl_on_a_one_off_sale_is_a_full_refund(sandbox: Sandbox) -> None:
    api = tickets_api(sandbox)
    ticket = update(api, OPEN_TECH_TICKET, action="change", type="cncl")
    assert (ticket["type"], ticket["refundType"]) == ("CANCEL", "FULL")


def test_change_of_a_closed_ticket_is_400(sandbox: Sandbox) -> None:
    api = tickets_api(sandbox)
    response = api.put(f"/{CLOSED_TECH_TICKET}", params={"action": "change", "type": "rfnd"})
    assert_plain_text_error(response, 400, "open")


def test_close_cancels_an_open_refund_request(sandbox: Sandbox) -> None:
    # given
    api = tickets_api(sandbox)
    # when
    closed = update(api, PHYSICAL_REFUND_TICKET, action="close")
    new_refund = api.create(PHYSICAL_OPEN_REFUND, **FULL_REFUND)
    # then: the refund was withdrawn, so a new one may be asked for
    assert closed["status"] == "CLOSED"
    assert closed["closedDate"] != {"@nil": "true"}
    assert closed["expirationDate"] == {"@nil": "true"}
    assert str(closed["note"]).startswith("Withdrawn")
    assert entries(closed["comments"])[-1]["action"] == "CLOSED"
    assert new_refund.status_code == 200, new_refund.text


def test_close_of_a_closed_ticket_is_400(sandbox: Sandbox) -> None:
    api = tickets_api(sandbox)
    response = api.put(f"/{CLOSED_TECH_TICKET}", params={"action": "close"})
    assert_plain_text_error(response, 400, "closed")


def test_reopen_a_closed_ticket_with_a_comment(sandbox: Sandbox) -> None:
    # given
    api = tickets_api(sandbox)
    # when
    ticket = update(api, CLOSED_TECH_TICKET, action="reopen", comment="Still cannot log in.")
    # then
    assert ticket["status"] == "REOPENED"
    assert ticket["closedDate"] == {"@nil": "true"}
    last = entries(ticket["comments"])[-1]
    assert (last["action"], last["comment"]) == ("REOPENED", "Still cannot log in.")


def test_reopen_without_a_comment_is_400(sandbox: Sandbox) -> None:
    api = tickets_api(sandbox)
    response = api.put(f"/{CLOSED_TECH_TICKET}", params={"action": "reopen"})
    assert_plain_text_error(response, 400, "comment")
    assert api.ticket(CLOSED_TECH_TICKET)["status"] == "CLOSED"


@pytest.mark.parametrize("action", ["reopen", "REOPEN"])
def test_reopen_of_a_ticket_not_closed_is_400(sandbox: Sandbox, action: str) -> None:
    api = tickets_api(sandbox)
    response = api.put(f"/{OPEN_TECH_TICKET}", params={"action": action, "comment": "x"})
    assert_plain_text_error(response, 400, "closed")


def test_reopen_that_would_duplicate_an_open_refund_is_400(sandbox: Sandbox) -> None:
    # given: the refund was closed and a new one opened on the same receipt
    api = tickets_api(sandbox)
    update(api, PHYSICAL_REFUND_TICKET, action="close")
    assert api.create(PHYSICAL_OPEN_REFUND, **FULL_REFUND).status_code == 200
    # when
    response = api.put(
        f"/{PHYSICAL_REFUND_TICKET}", params={"action": "reopen", "comment": "Again."}
    )
    # then
    assert_plain_text_error(response, 400, "Refund ticket already open")


def test_reopen_of_a_completed_cancel_leaves_no_duplicate_cancel(sandbox: Sandbox) -> None:
    # given: the subscription's cancel ticket is closed but still in effect
    api = tickets_api(sandbox)
    # when
    ticket = update(api, COMPLETED_CANCEL_TICKET, action="reopen", comment="Billed again?")
    # then
    assert ticket["status"] == "REOPENED"


def test_reopened_cancel_blocks_a_second_cancel(sandbox: Sandbox) -> None:
    # given
    api = tickets_api(sandbox)
    created = api.create(RECURRING_USD, type="cncl", reason="ticket.type.cancel.7").json()
    update(api, created["ticketid"], action="close")
    update(api, created["ticketid"], action="reopen", comment="Cancel after all.")
    # when
    again = api.create(RECURRING_USD, type="cncl", reason="ticket.type.cancel.7")
    # then
    assert_plain_text_error(again, 400, "Subscription already canceled")


# --- POST /tickets/{id}/returned ---


def test_returned_is_204_and_completes_the_refund(sandbox: Sandbox) -> None:
    # given: an open refund on a physical item
    api = tickets_api(sandbox)
    # when
    response = api.post(f"/{PHYSICAL_REFUND_TICKET}/returned")
    # then
    assert response.status_code == 204
    assert response.content == b""
    ticket = api.ticket(PHYSICAL_REFUND_TICKET)
    assert ticket["status"] == "CLOSED"
    assert str(ticket["note"]).startswith("Completed")
    assert entries(ticket["comments"])[-1]["action"] == "REFUND_ACKED"


def test_returned_twice_is_400(sandbox: Sandbox) -> None:
    api = tickets_api(sandbox)
    assert api.post(f"/{PHYSICAL_REFUND_TICKET}/returned").status_code == 204
    response = api.post(f"/{PHYSICAL_REFUND_TICKET}/returned")
    assert_plain_text_error(response, 400, "no open refund")


@pytest.mark.parametrize("ticket_id", [4_999_999, "abc"])
def test_returned_for_an_unknown_ticket_is_400(sandbox: Sandbox, ticket_id: int | str) -> None:
    api = tickets_api(sandbox)
    response = api.post(f"/{ticket_id}/returned")
    assert_plain_text_error(response, 400, "not found")


def test_returned_for_a_digital_purchase_is_400(sandbox: Sandbox) -> None:
    api = tickets_api(sandbox)
    response = api.post(f"/{PARTIAL_REFUND_TICKET}/returned")
    assert_plain_text_error(response, 400, "physical")


def test_returned_for_another_accounts_ticket_is_403(sandbox: Sandbox) -> None:
    api = tickets_api(sandbox)
    response = api.post(f"/{FOREIGN_TICKET}/returned")
    assert_plain_text_error(response, 403)


def test_returned_for_a_tech_ticket_on_a_physical_sale_is_400(sandbox: Sandbox) -> None:
    # given
    api = tickets_api(sandbox)
    tech = api.create(PHYSICAL_OPEN_REFUND, type="tech", reason=TECH_REASON).json()
    # when
    response = api.post(f"/{tech['ticketid']}/returned")
    # then
    assert_plain_text_error(response, 400, "no open refund")


def test_created_ticket_can_be_read_back_by_the_read_only_key(sandbox: Sandbox) -> None:
    # given
    api = tickets_api(sandbox)
    created = api.create(ONE_OFF_USD, **FULL_REFUND).json()
    # when
    fetched = api.with_(auth=READ_ONLY_KEY).ticket(created["ticketid"])
    # then
    assert fetched == created
