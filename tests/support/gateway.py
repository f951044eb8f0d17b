"""A running gateway for end-to-end tests, and a real GraphQL client (gql) to talk to it."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from typing import Any

from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from gql.transport.httpx import HTTPXAsyncTransport

from gateway.auth import Role, issue_sandbox_token
from gateway.settings import Settings
from tests.support.sandbox import Sandbox

__all__ = ["Gateway", "Result", "settings_for"]


def settings_for(sandbox: Sandbox, **overrides: Any) -> Settings:
    """Gateway settings pointing at ``sandbox``, retries fast so fault tests stay quick."""
    values: dict[str, Any] = {
        "cardlytics_base_url": sandbox.cardlytics_url,
        "clickbank_base_url": sandbox.clickbank_url,
        # a fresh store per gateway, so no test sees another's rows
        "database_url": f"sqlite+aiosqlite:///{tempfile.mkdtemp(prefix='rg-store-')}/store.sqlite3",
        "retry_base_delay_s": 0.01,
        "retry_max_delay_s": 0.05,
    }
    return Settings(**{**values, **overrides})


@dataclass(frozen=True)
class Result:
    data: dict[str, Any] | None
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def codes(self) -> list[str]:
        return [error.get("extensions", {}).get("code", "") for error in self.errors]


@dataclass(frozen=True)
class Gateway:
    url: str
    settings: Settings

    @property
    def graphql_url(self) -> str:
        return f"{self.url}/graphql"

    def token(self, subject: str, role: Role = Role.CUSTOMER) -> str:
        return issue_sandbox_token(
            subject,
            role=role,
            shared_key=self.settings.jwt_shared_key,
            issuer=self.settings.jwt_issuer,
            audience=self.settings.jwt_audience,
        )

    def customer(self, subject: str = "alice") -> str:
        return self.token(subject, Role.CUSTOMER)

    def agent(self, subject: str = "agent-7") -> str:
        return self.token(subject, Role.AGENT)

    async def execute(
        self,
        document: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
    ) -> Result:
        """Run one document with gql over HTTP; errors come back as data, not exceptions."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        transport = HTTPXAsyncTransport(url=self.graphql_url, headers=headers, timeout=30)
        async with Client(transport=transport, fetch_schema_from_transport=False) as session:
            try:
                request = GraphQLRequest(document, variable_values=variables)
                data = await session.execute(request)
            except TransportQueryError as error:
                return Result(error.data, list(error.errors or []))
        return Result(data)
