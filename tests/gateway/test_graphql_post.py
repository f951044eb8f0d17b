"""POST /graphql over real HTTP, answer by answer: status, headers in order and body.

The common request takes a short way through Strawberry's view (``LiveRouter._answer``); these
pin what the view answered before, for the common request and for every one that leaves the
short way.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.routing import Route

from gateway.app import create_app
from tests.support.gateway import Gateway, settings_for
from tests.support.sandbox import Sandbox
from tests.support.servers import serve_in_thread

VIEWER = '{"query": "{ viewer { role } }"}'
ANONYMOUS = b'{"data":{"viewer":{"role":"ANONYMOUS"}}}'
JSON = "application/json"
TEXT = "text/plain; charset=utf-8"
MUST, IF = "must be", "if provided."
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


@pytest.fixture
def small(sandbox: Sandbox) -> Iterator[Gateway]:
    settings = settings_for(sandbox, max_body_bytes=2048)
    with serve_in_thread(create_app(settings)) as url:
        yield Gateway(url, settings)


def _headers(response: httpx.Response) -> list[tuple[str, str]]:
    """The app's headers in order, the request id's value left out (checked on its own)."""
    return [
        (name.decode(), "" if name == b"x-request-id" else value.decode())
        for name, value in response.headers.raw
        if name not in (b"date", b"server")
    ]


def _post(gateway: Gateway, content: str | bytes, content_type: str) -> httpx.Response:
    return httpx.post(gateway.graphql_url, content=content, headers={"Content-Type": content_type})


def _answered(response: httpx.Response, status: int, content_type: str, body: bytes) -> None:
    assert response.status_code == status
    assert _headers(response) == [
        ("content-length", str(len(body))),
        ("content-type", content_type),
        ("x-request-id", ""),
    ]
    assert response.content == body
    assert UUID.match(response.headers["x-request-id"])


@pytest.mark.parametrize(
    ("content_type", "content"),
    [
        (JSON, VIEWER),
        ("application/json; charset=utf-8", VIEWER),
        (JSON, '{"query": "{ viewer { role } }", "variables": null, "extensions": null}'),
        (
            JSON,
            '{"query": "query A { viewer { role } } query B { viewer { isSignedIn } }", '
            '"operationName": "A"}',
        ),
        (JSON, VIEWER.encode("utf-16")),  # what json.loads reads, the view reads
        (JSON, b"\xef\xbb\xbf" + VIEWER.encode()),
    ],
)
def test_a_plain_request_is_answered(gateway: Gateway, content_type: str, content: Any) -> None:
    response = httpx.post(
        gateway.graphql_url, content=content, headers={"Content-Type": content_type}
    )
    _answered(response, 200, JSON, ANONYMOUS)


@pytest.mark.parametrize(
    ("content_type", "content", "reason"),
    [
        (JSON, "{nope", "Unable to parse request body as JSON"),
        ("application/json; charset=utf-8", "", "Unable to parse request body as JSON"),
        (JSON, '{"variables": {}}', "No GraphQL query found in the request"),
        (JSON, '{"query": null}', "No GraphQL query found in the request"),
        (
            JSON,
            '{"query": 1}',
            "The GraphQL operation's `query` must be a string or null, if provided.",
        ),
        (
            JSON,
            '{"query": "{ viewer { role } }", "variables": [1]}',
            f"The GraphQL operation's `variables` {MUST} an object or null, {IF}",
        ),
        (
            JSON,
            '{"query": "{ viewer { role } }", "extensions": 3}',
            f"The GraphQL operation's `extensions` {MUST} an object or null, {IF}",
        ),
        (JSON, f"[{VIEWER}]", "Batching is not enabled"),
        ("text/plain", VIEWER, "Unsupported content type"),
        ("", VIEWER, "Unsupported content type"),
        ("Application/JSON", VIEWER, "Unsupported content type"),
        ("application/graphql-response+json", VIEWER, "Unsupported content type"),
        (
            JSON,
            '{"query": "subscription { offerActivated { id } }"}',
            "subscriptions run over graphql-transport-ws: open a WebSocket on /graphql",
        ),
    ],
)
def test_a_request_the_view_refuses_gets_its_400(
    gateway: Gateway, content_type: str, content: str, reason: str
) -> None:
    response = httpx.post(
        gateway.graphql_url, content=content, headers={"Content-Type": content_type}
    )
    _answered(response, 400, TEXT, reason.encode())


def test_a_multipart_request_is_an_unsupported_content_type(gateway: Gateway) -> None:
    response = httpx.post(gateway.graphql_url, files={"operations": (None, VIEWER)})
    _answered(response, 400, TEXT, b"Unsupported content type")


def test_a_streaming_accept_header_changes_nothing(gateway: Gateway) -> None:
    for accept in ("text/event-stream", "multipart/mixed;subscriptionSpec=1.0"):
        response = httpx.post(
            gateway.graphql_url, content=VIEWER, headers={"Content-Type": JSON, "Accept": accept}
        )
        _answered(response, 200, JSON, ANONYMOUS)


@pytest.mark.parametrize("body", ['"x"', "null", "3", "true"])
@pytest.mark.parametrize("content_type", [JSON, "application/json; charset=ascii"])
def test_a_json_body_that_is_no_object_is_a_400(
    gateway: Gateway, body: str, content_type: str
) -> None:
    # Strawberry's view failed on it with a 500 (AttributeError): the client's mistake, said so.
    response = _post(gateway, body, content_type)
    reason = b"The request body must be a JSON object: a GraphQL request, or a list of them"
    _answered(response, 400, TEXT, reason)


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        ("Bearer nope", "the token is not valid"),
        ("Basic x", "the Authorization header must be 'Bearer <token>'"),
    ],
)
def test_a_refused_token_is_the_apps_401(
    gateway: Gateway, authorization: str, message: str
) -> None:
    response = httpx.post(
        gateway.graphql_url,
        content=VIEWER,
        headers={"Content-Type": JSON, "Authorization": authorization, "X-Request-Id": "auth-1"},
    )
    error = (
        f'{{"message":"{message}","extensions":{{"code":"UNAUTHENTICATED","requestId":"auth-1"}}}}'
    )
    body = f'{{"data":null,"errors":[{error}]}}'.encode()
    assert response.status_code == 401
    assert _headers(response) == [
        ("www-authenticate", 'Bearer error="invalid_token"'),
        ("content-length", str(len(body))),
        ("content-type", JSON),
        ("x-request-id", ""),
    ]
    assert response.headers["x-request-id"] == "auth-1"
    assert response.content == body


def test_a_customers_answer_and_errors_carry_the_request_id(gateway: Gateway) -> None:
    response = httpx.post(
        gateway.graphql_url,
        json={"query": "{ viewer { role nope } }"},
        headers={"Authorization": f"Bearer {gateway.customer()}", "X-Request-Id": "rid.1"},
    )
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "rid.1"
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED", "requestId": "rid.1"}


def test_an_unsafe_request_id_is_replaced(gateway: Gateway) -> None:
    response = httpx.post(
        gateway.graphql_url,
        json={"query": "{ viewer { nope } }"},
        headers={"X-Request-Id": "bad id"},
    )
    [error] = response.json()["errors"]
    assert UUID.match(response.headers["x-request-id"])
    assert error["extensions"]["requestId"] == response.headers["x-request-id"]


def test_the_first_content_type_counts(gateway: Gateway) -> None:
    host, port = gateway.url.removeprefix("http://").split(":")
    request = (
        b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
    ) % (len(VIEWER), VIEWER.encode())
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert answer.endswith(b"\r\n\r\nUnsupported content type")


def test_a_declared_body_over_the_limit_is_the_413(small: Gateway) -> None:
    response = httpx.post(
        small.graphql_url,
        content=VIEWER + " " * 3000,
        headers={"Content-Type": JSON, "X-Request-Id": "big-1"},
    )
    body = (
        b'{"data": null, "errors": [{"message": "Request body is larger than 2048 bytes.", '
        b'"extensions": {"code": "REQUEST_TOO_LARGE", "requestId": "big-1"}}]}'
    )
    assert response.status_code == 413
    assert _headers(response) == [
        ("content-type", JSON),
        ("content-length", str(len(body))),
        ("connection", "close"),
        ("x-request-id", ""),
    ]
    assert response.headers["x-request-id"] == "big-1"
    assert response.content == body


def test_a_body_just_within_the_limit_is_served(small: Gateway) -> None:
    content = VIEWER[:-1] + " " * (2048 - len(VIEWER)) + "}"
    response = httpx.post(small.graphql_url, content=content, headers={"Content-Type": JSON})
    _answered(response, 200, JSON, ANONYMOUS)


def test_other_routes_and_methods_keep_the_full_stack(gateway: Gateway) -> None:
    slash = httpx.post(f"{gateway.graphql_url}/", json={"query": "{ viewer { role } }"})
    assert slash.status_code == 307
    put = httpx.put(gateway.graphql_url, json={})
    assert (put.status_code, put.json()) == (405, {"detail": "Method Not Allowed"})
    assert UUID.match(put.headers["x-request-id"])
    get = httpx.get(gateway.graphql_url, params={"query": "{ viewer { role } }"})
    assert (get.status_code, get.content) == (200, ANONYMOUS)
    get_mutation = httpx.get(gateway.graphql_url, params={"query": "mutation { x }"})
    assert get_mutation.status_code == 400


def test_the_common_request_skips_the_views_own_parsing(sandbox: Sandbox) -> None:
    # Nothing above would fail if every request went through Strawberry's ``run``: the answers
    # are the same either way. The common one must not (its parsing is what the short way saves).
    app = create_app(settings_for(sandbox))
    [route] = [
        r
        for r in app.routes
        if isinstance(r, Route) and r.path == "/graphql" and "POST" in (r.methods or ())
    ]
    router = route.endpoint.__self__  # type: ignore[attr-defined]
    runs: list[str] = []
    view_run = router.run

    async def run(**kwargs: Any) -> Any:
        runs.append(kwargs["request"].headers["content-type"])
        return await view_run(**kwargs)

    router.run = run
    with serve_in_thread(app) as url:
        plain = httpx.post(f"{url}/graphql", json={"query": "{ viewer { role } }"})
        other = httpx.post(f"{url}/graphql", content=VIEWER, headers={"Content-Type": "text/plain"})
    assert (plain.status_code, plain.content) == (200, ANONYMOUS)
    assert other.status_code == 400
    assert runs == ["text/plain"]
