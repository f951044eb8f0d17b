"""A finished request's objects are freed as soon as it ends, by reference counting alone.

Before, two reference cycles (the context and its loaders; graphql-core's executor and the
helpers made of its own bound methods) kept each request's whole answer (every offer, every
upstream answer, the context) alive until a pass of the garbage collector, which then had to walk
all of it: a third of the gateway's CPU under load, and most of its resident memory. Here the
collector is switched off across one request; whatever of ours it would then find in a cycle was
left behind by that request.
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from gateway.context import Context
from schema.offers import Offer
from schema.plans.executor import LeafExecutor
from tests.graphql.test_operations import CASES, CUSTOMER
from tests.plans.support import OPERATIONS
from tests.support.gateway import Gateway

# What a request builds and nothing outlives it: an executor (plans' and graphql-core's), the
# context with its loaders and the offers built from the upstream answers (the getAds answer
# itself is made of msgspec Structs the collector does not track: they hold no cycles, and the
# offers refer to them, so an offer left in a cycle keeps its answer too).
_REQUEST_OBJECTS = (Context, LeafExecutor, Offer)


@contextmanager
def _cyclic_garbage() -> Iterator[Counter[str]]:
    """Counts, by class, the request objects that only the collector could free."""
    left: Counter[str] = Counter()
    gc.collect()
    gc.disable()
    try:
        yield left
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        left.update(type(o).__name__ for o in gc.garbage if isinstance(o, _REQUEST_OBJECTS))
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


def _document(name: str, *, planned: bool) -> str:
    text = (OPERATIONS / name).read_text()
    # a text no plan knows runs on graphql-core (LeafExecutor), the same answer
    return text if planned else f"# not a known text\n{text}"


@pytest.mark.parametrize(
    ("name", "planned"),
    [
        ("home.graphql", True),
        ("home.graphql", False),
        ("offer_detail.graphql", True),
        ("activate_offer.graphql", False),  # a mutation: never planned
    ],
)
async def test_a_finished_request_leaves_nothing_for_the_garbage_collector(
    gateway: Gateway, name: str, planned: bool
) -> None:
    # given: the route warm (caches filled, session token fetched)
    case = CASES[name]
    token = gateway.customer(CUSTOMER)
    document = _document(name, planned=planned)
    variables: dict[str, Any] = dict(case.variables)
    await gateway.execute(document, variables, token=token)

    # when
    with _cyclic_garbage() as left:
        result = await gateway.execute(document, variables, token=token)

    # then
    assert result.errors == []
    assert left == Counter(), f"kept alive by reference cycles: {dict(left)}"


async def test_a_request_that_fails_upstream_leaves_nothing_either(gateway: Gateway) -> None:
    # given: an offer id Cardlytics does not know, so the answer carries an error
    token = gateway.customer(CUSTOMER)
    document = _document("offer_detail.graphql", planned=True)
    await gateway.execute(document, {"id": "404404404"}, token=token)

    # when
    with _cyclic_garbage() as left:
        await gateway.execute(document, {"id": "404404404"}, token=token)

    # then
    assert left == Counter(), f"kept alive by reference cycles: {dict(left)}"
