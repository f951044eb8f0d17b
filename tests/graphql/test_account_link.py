"""Account links end to end: status, start (hosted page URL), delete; customers only."""

from __future__ import annotations

import pytest

from tests.support.gateway import Gateway
from tests.support.sandbox import Sandbox

STATUS = (
    "{ accountLink { isLinked links { id status provider } cards { id status cardType last4 } } }"
)
ERRORS = "errors { __typename message ... on ValidationError { field } }"


def _start(redirect_uri: str) -> str:
    return (
        f'mutation {{ startAccountLink(input: {{redirectUri: "{redirect_uri}"}}) {{'
        f" link {{ accountLinkId linkUrl }} {ERRORS} }} }}"
    )


def _delete(link_id: str) -> str:
    return (
        f'mutation {{ deleteAccountLink(input: {{accountLinkId: "{link_id}"}}) {{'
        f" accountLink {{ isLinked links {{ id }} }} {ERRORS} }} }}"
    )


async def test_a_linked_customer_sees_the_link_and_cards(gateway: Gateway) -> None:
    result = await gateway.execute(STATUS, token=gateway.customer("customer-linked"))

    assert result.errors == []
    assert result.data is not None
    link = result.data["accountLink"]
    assert link["isLinked"] is True
    [entry] = link["links"]
    assert entry["status"] == "Linked"
    assert entry["provider"] == "PLAID_HOSTED"
    assert link["cards"]
    assert all(len(card["last4"]) == 4 for card in link["cards"])


async def test_start_then_delete_a_link(gateway: Gateway, sandbox: Sandbox) -> None:
    token = gateway.customer("customer-unlinked")
    before = await gateway.execute(STATUS, token=token)
    assert before.data == {"accountLink": {"isLinked": False, "links": [], "cards": []}}

    started = await gateway.execute(_start("https://app.example.com/linked"), token=token)

    assert started.data is not None
    payload = started.data["startAccountLink"]
    assert payload["errors"] == []
    link_id = payload["link"]["accountLinkId"]
    assert link_id in payload["link"]["linkUrl"]
    status = await gateway.execute(STATUS, token=token)
    assert status.data is not None
    [entry] = status.data["accountLink"]["links"]
    assert entry == {"id": link_id, "status": "LinkingInitiated", "provider": "PLAID_HOSTED"}

    deleted = await gateway.execute(_delete(link_id), token=token)

    assert deleted.data == {
        "deleteAccountLink": {"accountLink": {"isLinked": False, "links": []}, "errors": []}
    }
    assert sandbox.calls("cardlytics")["DELETE /v2/data/accountLink/{account_link_id}"] == 1


async def test_deleting_a_link_the_customer_has_not_is_not_found(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    result = await gateway.execute(
        _delete("no-such-link"), token=gateway.customer("customer-linked")
    )

    assert result.data is not None
    payload = result.data["deleteAccountLink"]
    assert payload["accountLink"] is None
    [error] = payload["errors"]
    assert error["__typename"] == "NotFoundError"
    assert "input.accountLinkId" in error["message"]
    assert sandbox.calls("cardlytics")["GET /v2/data/accountLink"] == 1
    assert not any(call.startswith("DELETE") for call in sandbox.calls("cardlytics"))


@pytest.mark.parametrize("redirect_uri", ["not-a-url", "/relative/path", "ftp://host/x", " "])
async def test_a_bad_redirect_uri_is_refused_before_sending(
    gateway: Gateway, sandbox: Sandbox, redirect_uri: str
) -> None:
    result = await gateway.execute(_start(redirect_uri), token=gateway.customer("customer-linked"))

    assert result.data is not None
    assert result.data["startAccountLink"]["link"] is None
    [error] = result.data["startAccountLink"]["errors"]
    assert error["__typename"] == "ValidationError"
    assert error["field"] == ["input", "redirectUri"]
    assert sandbox.calls("cardlytics") == {}


@pytest.mark.parametrize(
    "document", [STATUS, _start("https://app.example.com/linked"), _delete("x")]
)
@pytest.mark.parametrize(("role", "code"), [(None, "UNAUTHENTICATED"), ("agent", "FORBIDDEN")])
async def test_account_links_are_the_customers_own(
    gateway: Gateway, sandbox: Sandbox, document: str, role: str | None, code: str
) -> None:
    token = gateway.agent() if role == "agent" else None

    result = await gateway.execute(document, token=token)

    assert result.data is not None
    assert list(result.data.values()) == [None]
    assert result.codes == [code]
    assert sandbox.calls("cardlytics") == {}
