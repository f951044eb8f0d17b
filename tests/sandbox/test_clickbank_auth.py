"""ClickBank simulator: the Authorization header forms and the roles of each endpoint (A2, A4)."""

from __future__ import annotations

import pytest

from tests.sandbox.clickbank_support import (
    API_KEY,
    DEVELOPER_KEY,
    FULL_REFUND,
    HTTP,
    ONE_OFF_USD,
    OPEN_TECH_TICKET,
    PHYSICAL_REFUND_TICKET,
    READ_ONLY_KEY,
    TECH_REASON,
    assert_plain_text_error,
    tickets_api,
)
from tests.support.sandbox import Sandbox

LEGACY = f"{DEVELOPER_KEY}:{API_KEY}"
LEGACY_READ_ONLY = f"{DEVELOPER_KEY}:{READ_ONLY_KEY}"
BAD_CREDENTIALS = [
    pytest.param("API-" + "00" * 20, id="unknown key"),
    pytest.param(f"Bearer {API_KEY}", id="bearer scheme"),
    pytest.param(f"Basic {API_KEY}", id="basic scheme"),
    pytest.param(API_KEY.removeprefix("API-"), id="no API- prefix"),
    pytest.param(f"DEV-{'00' * 20}:{API_KEY}", id="legacy with a wrong developer key"),
    pytest.param(f"{DEVELOPER_KEY}:API-{'00' * 20}", id="legacy with a wrong clerk key"),
    pytest.param(DEVELOPER_KEY, id="developer key alone"),
]
# (method, path, params) of every keyed endpoint, with parameters that would otherwise succeed.
EVERY_KEYED_ENDPOINT = [
    ("GET", "/list", {}),
    ("GET", "/count", {}),
    ("GET", f"/{OPEN_TECH_TICKET}", {}),
    ("PUT", f"/{OPEN_TECH_TICKET}", {"comment": "hello"}),
    ("POST", f"/{ONE_OFF_USD}", {"type": "tech", "reason": TECH_REASON}),
    ("POST", f"/{PHYSICAL_REFUND_TICKET}/returned", {}),
    ("GET", f"/refundAmounts/{ONE_OFF_USD}", {"refundType": "FULL"}),
]
WRITE_ENDPOINTS = [
    ("PUT", f"/{OPEN_TECH_TICKET}", {"comment": "hello"}),
    ("POST", f"/{ONE_OFF_USD}", {"type": "tech", "reason": TECH_REASON}),
    ("POST", f"/{PHYSICAL_REFUND_TICKET}/returned", {}),
]
READ_ENDPOINTS = [
    ("GET", "/list", {}),
    ("GET", "/count", {}),
    ("GET", f"/{OPEN_TECH_TICKET}", {}),
    ("GET", f"/refundAmounts/{ONE_OFF_USD}", {"refundType": "FULL"}),
]


@pytest.mark.parametrize("credential", [API_KEY, LEGACY], ids=["current", "legacy"])
def test_both_header_forms_are_accepted(sandbox: Sandbox, credential: str) -> None:
    # given
    api = tickets_api(sandbox, auth=credential)
    # when
    response = api.get(f"/{OPEN_TECH_TICKET}")
    # then
    assert response.status_code == 200
    assert response.json()["ticketid"] == str(OPEN_TECH_TICKET)


@pytest.mark.parametrize("credential", BAD_CREDENTIALS)
def test_invalid_credentials_are_403_plain_text(sandbox: Sandbox, credential: str) -> None:
    api = tickets_api(sandbox, auth=credential)
    response = api.get("/list")
    assert_plain_text_error(response, 403, "Invalid credentials")


@pytest.mark.parametrize(("method", "path", "params"), EVERY_KEYED_ENDPOINT)
def test_missing_header_is_403_never_401(
    sandbox: Sandbox, method: str, path: str, params: dict[str, str]
) -> None:
    api = tickets_api(sandbox, auth=None)
    response = api.call(method, path, params=params)
    assert_plain_text_error(response, 403, "Authorization")


def test_two_authorization_headers_are_403(sandbox: Sandbox) -> None:
    # given
    url = f"{tickets_api(sandbox).base}/list"
    headers = [("Authorization", API_KEY), ("Authorization", API_KEY)]
    # when
    response = HTTP.get(url, headers=headers)
    # then
    assert_plain_text_error(response, 403, "exactly one")


@pytest.mark.parametrize("credential", [READ_ONLY_KEY, LEGACY_READ_ONLY])
@pytest.mark.parametrize(("method", "path", "params"), WRITE_ENDPOINTS)
def test_read_only_key_cannot_write(
    sandbox: Sandbox, credential: str, method: str, path: str, params: dict[str, str]
) -> None:
    api = tickets_api(sandbox, auth=credential)
    response = api.call(method, path, params=params)
    assert_plain_text_error(response, 403, "api_order_write")


@pytest.mark.parametrize(("method", "path", "params"), READ_ENDPOINTS)
def test_read_only_key_can_read(
    sandbox: Sandbox, method: str, path: str, params: dict[str, str]
) -> None:
    api = tickets_api(sandbox, auth=READ_ONLY_KEY)
    response = api.call(method, path, params=params)
    assert response.status_code in (200, 206), response.text


def test_read_write_key_can_write(sandbox: Sandbox) -> None:
    api = tickets_api(sandbox)
    response = api.create(ONE_OFF_USD, **FULL_REFUND)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("path", ["/schema", "/partialRefundDataSchema", ""])
def test_schemas_and_description_need_no_key(sandbox: Sandbox, path: str) -> None:
    api = tickets_api(sandbox, auth=None, accept=None)
    response = api.get(path)
    assert response.status_code == 200
