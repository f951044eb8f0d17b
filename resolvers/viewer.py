"""Role checks, made before any upstream is called."""

from __future__ import annotations

from gateway.context import Context
from gateway.customer_ids import HashedCustomerId
from resolvers.errors import Forbidden, Unauthenticated

__all__ = ["require_agent", "require_customer"]


def require_customer(context: Context) -> HashedCustomerId:
    """The signed-in customer's hashed id; agents and anonymous viewers are refused."""
    viewer = context.viewer
    if viewer.is_customer:
        return context.customer_id
    if viewer.is_agent:
        raise Forbidden("only the customer can do this")
    raise Unauthenticated()


def require_agent(context: Context) -> None:
    viewer = context.viewer
    if viewer.is_agent:
        return
    if viewer.is_customer:
        raise Forbidden("only support agents can do this")
    raise Unauthenticated()
