"""Recent getAds answers per customer, for a few seconds (``GATEWAY_ADS_CACHE_TTL_S``; 0: off).

A customer moving between the home screen and an offer asks for the same ads again within
seconds; reading them back from here spares the call and the parse of a 70 KB answer. Answers
are kept per hashed customer and filter (``GATEWAY_ADS_CACHE_SIZE`` of them, about 0.4 MB each
for 40 ads), and only for signed-in customers: anonymous visitors all share one upstream id, and
each of them must get serve tokens of their own.

What the customer does through the gateway (offer events, account linking) drops their answers,
and an answer fetched while such a change was under way is not kept: the next screen shows the
change. Changes Cardlytics makes on its own (a purchase redeemed) show once the answer expires.
The cache is per process: with several replicas, a change made through one shows on another
after at most the TTL.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from cachetools import TTLCache

from gateway.customer_ids import ANONYMOUS, HashedCustomerId
from gateway.upstreams.cardlytics.models import Ads, AdsQuery

__all__ = ["AdsCache", "Generation"]

# How long a customer's change marker outlives their answers: longer than any getAds can take
# (timeouts of seconds), so a fetch that began before a change can always tell.
_CHANGE_MEMORY_S = 300.0


class Generation:
    """A customer's state between two of their changes; a fresh one at every change."""


class AdsCache:
    """Answers by (customer, filter) for ``ttl_s``, at most ``maxsize`` of them."""

    def __init__(
        self, maxsize: int, ttl_s: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.enabled = ttl_s > 0
        self._answers: TTLCache[tuple[HashedCustomerId, AdsQuery], tuple[Generation, Ads]] = (
            TTLCache(maxsize, max(ttl_s, 1e-9), timer=clock)
        )
        # An answer counts only while its customer is still in the generation it was fetched in.
        self._generations: TTLCache[HashedCustomerId, Generation] = TTLCache(
            maxsize, max(ttl_s, _CHANGE_MEMORY_S), timer=clock
        )

    def __len__(self) -> int:
        return len(self._answers)

    def get(self, customer: HashedCustomerId, query: AdsQuery) -> Ads | None:
        if not self.enabled or customer == ANONYMOUS:
            return None
        kept = self._answers.get((customer, query))
        if kept is None or kept[0] is not self._generations.get(customer):
            return None
        return kept[1]

    def begin(self, customer: HashedCustomerId) -> Generation | None:
        """Mark a fetch's start: ``put`` keeps its answer only if nothing changed since."""
        if not self.enabled or customer == ANONYMOUS:
            return None
        generation = self._generations.get(customer)
        if generation is None:
            generation = self._generations[customer] = Generation()
        return generation

    def put(
        self, customer: HashedCustomerId, query: AdsQuery, ads: Ads, began: Generation | None
    ) -> None:
        # A marker that changed, or was evicted meanwhile, means "maybe changed": not kept.
        if began is not None and self._generations.get(customer) is began:
            self._answers[(customer, query)] = (began, ads)

    def changed(self, customer: HashedCustomerId) -> None:
        """The customer did something that changes their ads: what was kept no longer counts."""
        if self.enabled and customer != ANONYMOUS:
            self._generations[customer] = Generation()
