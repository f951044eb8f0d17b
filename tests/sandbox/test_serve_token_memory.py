"""The sandbox keeps every serve token it mints for an hour (as Cardlytics honours them); a long
benchmark mints hundreds of thousands. They must not be objects the garbage collector walks on
each full pass: they were, and the sandbox stalled for ~200 ms at a time (p99 of a plain getAds
at 45 req/s: 229 ms after a benchmark's worth of calls, 11 ms fresh), which showed up as the
gateway's and the pass-through's tail latency alike."""

from __future__ import annotations

import gc

from gateway.sandbox.cardlytics.tokens import ServeToken, ServeTokens


def test_kept_serve_tokens_are_not_walked_by_the_garbage_collector() -> None:
    # given
    tokens = ServeTokens(ttl_s=3600)
    issued = [tokens.issue(f"customer-{i % 7}", str(1000 + i), "MobileApp") for i in range(2000)]

    # when: a full pass, as the collector makes from time to time
    gc.collect()

    # then: none of them is tracked any more, and each still reads back whole
    assert not gc.is_tracked(tokens._tokens)
    assert not any(gc.is_tracked(kept) for kept in tokens._tokens.values())
    found = tokens.get(issued[5])
    assert isinstance(found, ServeToken)
    assert (found.customer_id, found.ad_id, found.expired()) == ("customer-5", "1005", False)


def test_expiring_every_serve_token_keeps_them_and_reads_them_expired() -> None:
    # given
    tokens = ServeTokens(ttl_s=3600)
    token = tokens.issue("customer-1", "1001", "MobileApp")

    # when
    tokens.expire_all()

    # then
    found = tokens.get(token)
    assert found is not None and found.expired() and found.ad_id == "1001"
    assert tokens.get("never-issued") is None
