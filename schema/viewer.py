"""Who the gateway thinks is asking: lets a frontend check its token."""

from __future__ import annotations

from enum import Enum

import strawberry

from gateway.context import Context

__all__ = ["ViewerQuery"]


@strawberry.enum(description="What the viewer may see and do.")
class Role(Enum):
    ANONYMOUS = "anonymous"
    CUSTOMER = "customer"
    AGENT = "agent"


@strawberry.type(description="The signed-in person, or an anonymous visitor.")
class Viewer:
    role: Role
    is_signed_in: bool


def _viewer(info: strawberry.Info[Context, None]) -> Viewer:
    viewer = info.context.viewer
    return Viewer(role=Role(viewer.role.value), is_signed_in=viewer.subject is not None)


@strawberry.type
class ViewerQuery:
    viewer: Viewer = strawberry.field(
        resolver=_viewer, description="Who is asking. Never carries the customer's id."
    )
