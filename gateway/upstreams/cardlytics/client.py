"""The Cardlytics upstream as one object: built by the composition root, used by resolvers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import SecretStr

from gateway.upstreams.cardlytics.ads_cache import AdsCache
from gateway.upstreams.cardlytics.events import Events
from gateway.upstreams.cardlytics.linking import AccountLinks
from gateway.upstreams.cardlytics.offers import Offers
from gateway.upstreams.cardlytics.profile import Profile
from gateway.upstreams.cardlytics.sessions import SessionTokens
from gateway.upstreams.cardlytics.tickets import Tickets
from gateway.upstreams.cardlytics.token_store import SharedTokenStore
from gateway.upstreams.cardlytics.transport import CardlyticsTransport
from gateway.upstreams.http import UpstreamHTTP

if TYPE_CHECKING:
    from gateway.settings import Settings

__all__ = ["REQUEST_ID_HEADER", "CardlyticsClient"]

#: Cardlytics echoes this header's value as ``requestId`` in every answer (B1).
REQUEST_ID_HEADER = "X-CDLX-Request-Id"


class CardlyticsClient:
    """Sessions plus one object per API area, e.g. ``await client.offers.get_ads(customer, q)``.

    Every method takes the customer as a ``HashedCustomerId`` (or ``ANONYMOUS``): raw ids never
    reach this package. ``http`` must send ``X-CDLX-Request-Id``; ``tickets_http`` is for
    deployments where the CSA tickets API has its own host (in production ``pub-api-eu``), by
    default it shares ``http``. Both share the session tokens; ``shared_tokens`` shares them
    with the other replicas too. ``ads_cache`` keeps getAds answers for a few seconds (off when
    not given; see ``ads_cache``).
    """

    def __init__(
        self,
        http: UpstreamHTTP,
        *,
        client_id: str,
        secret: SecretStr,
        mock_data: bool = False,
        token_cache_size: int = 10_000,
        token_ttl_s: float = 900.0,
        token_refresh_skew_s: float = 60.0,
        tickets_http: UpstreamHTTP | None = None,
        shared_tokens: SharedTokenStore | None = None,
        ads_cache: AdsCache | None = None,
    ) -> None:
        for upstream in (http, tickets_http or http):
            if (upstream.request_id_header or "").lower() != REQUEST_ID_HEADER.lower():
                # without it the two sides' logs cannot be joined (B1)
                raise ValueError(f"the Cardlytics UpstreamHTTP must send {REQUEST_ID_HEADER}")
        self.sessions = SessionTokens(
            http,
            client_id=client_id,
            secret=secret,
            maxsize=token_cache_size,
            ttl_s=token_ttl_s,
            refresh_skew_s=token_refresh_skew_s,
            shared=shared_tokens,
        )
        transport = CardlyticsTransport(http, self.sessions, mock_data=mock_data)
        # off unless given (not "or": an empty cache is falsy)
        self.ads_cache = AdsCache(maxsize=1, ttl_s=0) if ads_cache is None else ads_cache
        self.offers = Offers(transport, self.ads_cache)
        self.events = Events(transport, self.ads_cache)
        self.account_links = AccountLinks(transport, self.ads_cache)
        self.profile = Profile(transport)
        self.tickets = Tickets(
            CardlyticsTransport(tickets_http or http, self.sessions, mock_data=mock_data)
        )

    @classmethod
    def from_settings(
        cls,
        http: UpstreamHTTP,
        settings: Settings,
        *,
        tickets_http: UpstreamHTTP | None = None,
        shared_tokens: SharedTokenStore | None = None,
    ) -> CardlyticsClient:
        return cls(
            http,
            client_id=settings.cardlytics_client_id,
            secret=settings.cardlytics_secret,
            mock_data=settings.cardlytics_mock_data,
            token_cache_size=settings.session_token_cache_size,
            token_ttl_s=settings.session_token_ttl_s,
            token_refresh_skew_s=settings.session_token_refresh_skew_s,
            tickets_http=tickets_http,
            shared_tokens=shared_tokens,
            ads_cache=AdsCache(maxsize=settings.ads_cache_size, ttl_s=settings.ads_cache_ttl_s),
        )
