"""Execution of the documents known in advance (``operations/``) on a faster path.

``PlannedSchema`` is the gateway's ``strawberry.Schema``; every document it does not know, and
every request the fast path cannot answer exactly as graphql-core would, runs the normal way.
"""

from __future__ import annotations

from schema.plans.schema import PlannedSchema

__all__ = ["PlannedSchema"]
