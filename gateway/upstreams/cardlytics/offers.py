"""getAds: the offers a customer may see, with rankings and categories."""

from __future__ import annotations

from gateway.customer_ids import HashedCustomerId
from gateway.upstreams.cardlytics.ads_cache import AdsCache
from gateway.upstreams.cardlytics.models import Ads, AdsQuery, read_ads
from gateway.upstreams.cardlytics.transport import CardlyticsTransport
from gateway.upstreams.cardlytics.wire import Expect

__all__ = ["GET_ADS", "Offers"]

GET_ADS = "/v2/ads/getAds"


class Offers:
    """``POST /v2/ads/getAds``."""

    def __init__(self, transport: CardlyticsTransport, cache: AdsCache) -> None:
        self._transport = transport
        self._cache = cache

    async def get_ads(self, customer: HashedCustomerId, query: AdsQuery) -> Ads:
        if (kept := self._cache.get(customer, query)) is not None:
            return kept
        began = self._cache.begin(customer)
        ads = await self._transport.call(
            "POST",
            GET_ADS,
            customer,
            Expect("getAds", read_ads, raw=True),
            # Not repeated on a 5xx or timeout (upstreams.md D: of the POSTs only clientEvent
            # may be): every getAds mints new serve tokens, and Cardlytics gives no way to tell
            # a repeat from a second fetch. A 401 is still retried once with a fresh token,
            # since a refused call did nothing.
            idempotent=False,
            json=query.payload(),
        )
        self._cache.put(customer, query, ads, began)
        return ads
