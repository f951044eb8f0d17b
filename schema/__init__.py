"""The GraphQL schema, composed from one query class per domain."""

from __future__ import annotations

import strawberry

from schema.status import StatusQuery

__all__ = ["schema"]


@strawberry.type
class Query(StatusQuery):
    pass


schema = strawberry.Schema(query=Query)
