"""getAds: the offers a customer may see, with rankings and categories."""

from __future__ import annotations

from gateway.customer_ids import HashedCustomerId
from gateway.upstreams.cardlytics.models import Ads, AdsQuery
from gateway.upstreams.cardlytics.transport import CardlyticsTransport
from gateway.upstreams.cardlytics.wire import Expect

__all__ = ["GET_ADS", "Offers"]

GET_ADS = "/v2/ads/getAds"


class Offers:
    """``POST /v2/ads/getAds``."""

    def __init__(self, transport: CardlyticsTransport) -> None:
        self._transport = transport

    async def get_ads(self, customer: HashedCustomerId, query: AdsQuery) -> Ads:
        # getAds is a POST only because its filter is a JSON body. Serving marks NEW ads SERVED
        # and mints fresh serve tokens, but twice leaves the same state as once (SERVED stays
        # SERVED, and we only use the tokens of the answer we read), so a repeat is safe.
        return await self._transport.call(
            "POST",
            GET_ADS,
            customer,
            Expect("getAds", Ads.model_validate),
            idempotent=True,
            json=query.payload(),
        )
