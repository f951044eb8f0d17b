"""GraphiQL at ``GET /graphql`` that works with no internet.

Strawberry's page loads React, GraphiQL and the explorer plugin from unpkg.com. Ours loads the
same releases (byte for byte: the integrity hashes are strawberry's) from
``gateway/static/graphiql/``, served by the gateway under ``/graphql/static``. It opens with the
home-screen operation (``operations/home.graphql``) and, in sandbox mode only, a fresh customer
token in the headers editor.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLHTTPResponse
from strawberry.schema.base import BaseSchema

from gateway.auth import Role, issue_sandbox_token
from gateway.settings import Settings

__all__ = ["ASSETS_DIR", "STATIC_PATH", "GatewayGraphQLRouter", "GraphiQLPage"]

ASSETS_DIR = Path(__file__).parent / "static" / "graphiql"
STATIC_PATH = "/graphql/static"
# Enrolled, a linked card, offers in every state and a purchase history (the sandbox's README).
SANDBOX_CUSTOMER = "customer-linked"
# The home document's variables when GraphiQL opens.
HOME_VARIABLES: dict[str, Any] = {"first": 10}

_TEMPLATE = Path(__file__).parent / "static" / "graphiql.html"
_NO_HOME_DOCUMENT = "# operations/home.graphql is not installed here.\n{ viewer { role } }\n"
# Characters that could end the <script> block the config sits in, as JSON escapes.
_SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


@dataclass(frozen=True)
class GraphiQLPage:
    """The page: a document and variables to open with, and where a viewer token comes from."""

    document: str
    variables: dict[str, Any] | None = None
    token: Callable[[], str] | None = None
    static_url: str = STATIC_PATH

    @classmethod
    def for_settings(cls, settings: Settings) -> GraphiQLPage:
        """The home-screen operation; a sandbox customer's token unless in live mode."""
        token = None if settings.mode == "live" else _sandbox_token(settings)
        return cls(document=home_document(), variables=HOME_VARIABLES, token=token)

    def render(self) -> str:
        # A token is made per page, so a GraphiQL tab left open for a day still gets a valid one.
        bearer = self.token() if self.token else "<a token from your identity provider>"
        config = {
            "query": self.document,
            "variables": json.dumps(self.variables, indent=2) if self.variables else None,
            "headers": json.dumps({"Authorization": f"Bearer {bearer}"}, indent=2),
        }
        return (
            _template()
            .replace("__STATIC__", self.static_url)
            .replace("__CONFIG__", json.dumps(config).translate(_SCRIPT_SAFE))
        )


class GatewayGraphQLRouter(GraphQLRouter[Any, None]):
    """Strawberry's router, with our GraphiQL page, or none (``graphiql=None``)."""

    def __init__(
        self,
        schema: BaseSchema,
        *,
        context_getter: Callable[..., Awaitable[Any]],
        graphiql: GraphiQLPage | None,
    ) -> None:
        super().__init__(
            schema, context_getter=context_getter, graphql_ide="graphiql" if graphiql else None
        )
        self._graphiql = graphiql

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], sub_response: Response
    ) -> Response:
        response = Response(
            _dumps(response_data),
            media_type="application/json",
            status_code=sub_response.status_code or 200,
        )
        response.headers.raw.extend(sub_response.headers.raw)
        return response

    def encode_json(self, data: object) -> str:
        # A str, not bytes: the WebSocket adapter sends bytes as binary frames, which
        # graphql-transport-ws clients refuse.
        return _dumps(data).decode()

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        if self._graphiql is None:  # strawberry only asks when an IDE is configured
            raise RuntimeError("GraphiQL is disabled")
        return HTMLResponse(self._graphiql.render())


def home_document() -> str:
    """``operations/home.graphql``: from the source tree, or the installed ``operations`` data."""
    # ``operations`` is a namespace package (data only); importlib.resources cannot read those
    # reliably on 3.11 under an editable install, so look through its locations directly.
    spec = importlib.util.find_spec("operations")
    locations = (spec.submodule_search_locations or []) if spec else []
    for location in locations:
        path = Path(location) / "home.graphql"
        if path.is_file():
            return path.read_text(encoding="utf-8")
    return _NO_HOME_DOCUMENT


def _dumps(data: object) -> bytes:
    # orjson: a tenth of json.dumps' time on a large answer, and the same JSON (keys in the same
    # order). What it cannot encode (an int past 64 bits, a non-str key) goes the old way.
    try:
        return orjson.dumps(data)
    except TypeError:
        return json.dumps(data, separators=(",", ":")).encode()


@functools.cache
def _template() -> str:
    return _TEMPLATE.read_text(encoding="utf-8")


def _sandbox_token(settings: Settings) -> Callable[[], str]:
    def token() -> str:
        return issue_sandbox_token(
            SANDBOX_CUSTOMER,
            role=Role.CUSTOMER,
            shared_key=settings.jwt_shared_key,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        )

    return token
