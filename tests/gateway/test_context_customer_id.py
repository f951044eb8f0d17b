"""``Context.customer_id``: the viewer's id as Cardlytics knows it, hashed once per viewer.

The upstream clients, store and pub/sub are not used by ``customer_id`` and are left out (None);
the hasher is the real one.
"""

from __future__ import annotations

from typing import Any

from gateway.auth import ANONYMOUS_VIEWER, Role, Viewer
from gateway.context import Context, Upstreams
from gateway.customer_ids import ANONYMOUS, CustomerIdHasher

_HASHER = CustomerIdHasher(b"test-only-key")


def _context(viewer: Viewer) -> Context:
    unused: Any = None
    upstreams = Upstreams(cardlytics=unused, clickbank=unused, connections=(), customer_ids=_HASHER)
    return Context(upstreams, viewer, ticket_index=unused, database=unused, pubsub=unused)


def test_a_customer_is_known_by_the_hmac_of_their_id_on_every_read() -> None:
    context = _context(Viewer(Role.CUSTOMER, "alice"))

    assert context.customer_id == _HASHER("alice")
    assert context.customer_id == _HASHER("alice")


def test_a_viewer_set_later_is_known_by_their_own_id() -> None:
    # given: a WebSocket's context, anonymous until connection_init authenticates it
    context = _context(ANONYMOUS_VIEWER)
    assert context.customer_id == ANONYMOUS

    # when
    context.viewer = Viewer(Role.CUSTOMER, "bob")

    # then
    assert context.customer_id == _HASHER("bob")

    # and a viewer replaced again is hashed again
    context.viewer = Viewer(Role.CUSTOMER, "carol")
    assert context.customer_id == _HASHER("carol")


def test_an_agent_is_no_customer_upstream() -> None:
    assert _context(Viewer(Role.AGENT, "agent-7")).customer_id == ANONYMOUS
