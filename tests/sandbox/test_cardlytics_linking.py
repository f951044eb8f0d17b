"""Cardlytics simulator: account linking (``/v2/data/accountLink``), over real HTTP."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.sandbox.cardlytics_client import HTTP, assert_error
from tests.sandbox.cardlytics_support import (
    ANONYMOUS,
    LINKED,
    OTHER_LINKED,
    UNLINKED,
    api,
    delete,
    get,
)
from tests.support.sandbox import Sandbox

LINK = "/v2/data/accountLink"
START = {"linkProvider": "PLAID_HOSTED", "redirect_uri": "https://app.example.com/linked"}


def test_linked_customer_sees_links_and_accounts(sandbox: Sandbox) -> None:
    session = api(sandbox).session(LINKED)
    response = get(session, LINK, **{"X-CDLX-Request-Id": "req-1"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"accountLinks", "accounts", "requestId"}
    assert body["requestId"] == "req-1"
    assert [link["status"] for link in body["accountLinks"]] == ["Linked"]
    assert set(body["accountLinks"][0]) == {
        "accountLinkId",
        "status",
        "linkProvider",
        "createdDate",
    }
    assert 1 <= len(body["accounts"]) <= 2
    for account in body["accounts"]:
        assert set(account) == {"accountId", "status", "cardType", "last4"}
        assert len(account["last4"]) == 4 and account["last4"].isdigit()


def test_no_link_answers_204_with_no_body(sandbox: Sandbox) -> None:
    for customer in (UNLINKED, ANONYMOUS):
        response = get(api(sandbox).session(customer), LINK)
        assert response.status_code == 204
        assert response.content == b""


def test_start_then_complete_at_the_link_url_links_a_card(sandbox: Sandbox) -> None:
    session = api(sandbox).session(UNLINKED)
    started = session.post(LINK, START)
    assert started.status_code == 200, started.text
    link_id, link_url = started.json()["accountLinkId"], started.json()["linkUrl"]
    pending = get(session, LINK).json()
    assert [link["status"] for link in pending["accountLinks"]] == ["LinkingInitiated"]
    assert pending["accounts"] == []
    # the customer's browser at the provider's hosted page
    page = HTTP.get(link_url, follow_redirects=False)
    assert page.status_code == 303
    location = urlsplit(page.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == START["redirect_uri"]
    assert parse_qs(location.query) == {"accountLinkId": [link_id], "status": ["Linked"]}
    linked = get(session, LINK).json()
    assert [link["status"] for link in linked["accountLinks"]] == ["Linked"]
    assert len(linked["accounts"]) == 1


def test_delete_every_link_then_status_is_204(sandbox: Sandbox) -> None:
    session = api(sandbox).session(LINKED)
    links = get(session, LINK).json()["accountLinks"]
    for link in links:
        response = delete(session, f"{LINK}/{link['accountLinkId']}")
        assert response.status_code == 200, response.text
        assert response.json() is True
    assert get(session, LINK).status_code == 204
    # deleting again: the link is gone
    again = delete(session, f"{LINK}/{links[0]['accountLinkId']}")
    assert_error(again, 404, "NotFound")


def test_a_customer_cannot_delete_another_customers_link(sandbox: Sandbox) -> None:
    owner = api(sandbox).session(LINKED)
    link_id = get(owner, LINK).json()["accountLinks"][0]["accountLinkId"]
    intruder = api(sandbox).session(OTHER_LINKED)
    assert_error(delete(intruder, f"{LINK}/{link_id}"), 404, "NotFound")
    assert get(owner, LINK).status_code == 200


def test_start_rejects_unknown_provider_and_bad_redirect(sandbox: Sandbox) -> None:
    session = api(sandbox).session(UNLINKED)
    body = assert_error(
        session.post(LINK, {"linkProvider": "PLAID", "redirect_uri": "not a url"}),
        400,
        "ValidationException",
    )
    assert any("linkProvider" in e for e in body["validationErrors"])
    assert any("redirect_uri" in e for e in body["validationErrors"])
    # camelCase is not the documented name (C2#14)
    missing = session.post(LINK, {"linkProvider": "PLAID_HOSTED", "redirectUri": "https://x.io"})
    assert_error(missing, 400, "ValidationException")
    assert get(session, LINK).status_code == 204


def test_start_rejects_json_the_seed_writes_with_trailing_commas(sandbox: Sandbox) -> None:
    session = api(sandbox).session(UNLINKED)
    raw = b'{"linkProvider": "PLAID_HOSTED", "redirect_uri": "https://x.example.com",}'
    assert_error(session.post(LINK, content=raw), 400, "HttpMessageNotReadable")


def test_anonymous_visitor_cannot_start_a_link(sandbox: Sandbox) -> None:
    session = api(sandbox).session(ANONYMOUS)
    assert_error(session.post(LINK, START), 400, "ValidationException")


def test_another_customers_token_is_401(sandbox: Sandbox) -> None:
    theirs = api(sandbox).session(UNLINKED)
    mine = api(sandbox).session(LINKED)
    link_id = get(mine, LINK).json()["accountLinks"][0]["accountLinkId"]
    wrong = {"Authorization": f"Bearer {theirs.token}", "x-source-customer-id": LINKED}
    base = f"{sandbox.cardlytics_url}{LINK}"
    assert_error(HTTP.get(base, headers=wrong), 401, "SessionValidationException")
    assert_error(HTTP.post(base, json=START, headers=wrong), 401, "SessionValidationException")
    assert_error(HTTP.delete(f"{base}/{link_id}", headers=wrong), 401, "SessionValidationException")
    assert_error(
        HTTP.get(base, headers={"x-source-customer-id": LINKED}), 401, "SessionValidationException"
    )
    assert get(mine, LINK).status_code == 200


def test_expired_session_is_401(sandbox: Sandbox) -> None:
    cardlytics = api(sandbox)
    session = cardlytics.session(LINKED)
    cardlytics.expire_tokens()
    assert_error(get(session, LINK), 401, "SessionValidationException")
