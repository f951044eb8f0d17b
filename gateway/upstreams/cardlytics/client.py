"""The Cardlytics upstream as one object: built by the composition root, used by resolvers."""

from __future__ import annotations

from pydantic import SecretStr

from gateway.upstreams.cardlytics.events import Events
from gateway.upstreams.cardlytics.linking import AccountLinks
from gateway.upstreams.cardlytics.offers import Offers
from gateway.upstreams.cardlytics.profile import Profile
from gateway.upstreams.cardlytics.sessions import SessionTokens
from gateway.upstreams.cardlytics.tickets import Tickets
from gateway.upstreams.cardlytics.transport import CardlyticsTransport
from gateway.upstreams.http import UpstreamHTTP

__all__ = ["CardlyticsClient"]


class CardlyticsClient:
    """Sessions plus one object per API area, e.g. ``await client.offers.get_ads(customer, q)``.

    ``tickets_http`` is for deployments where the CSA tickets API has its own host (in production
    it lives on ``pub-api-eu``); by default it shares ``http``. Both share the session tokens.
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
    ) -> None:
        self.sessions = SessionTokens(
            http,
            client_id=client_id,
            secret=secret,
            maxsize=token_cache_size,
            ttl_s=token_ttl_s,
            refresh_skew_s=token_refresh_skew_s,
        )
        transport = CardlyticsTransport(http, self.sessions, mock_data=mock_data)
        self.offers = Offers(transport)
        self.events = Events(transport)
        self.account_links = AccountLinks(transport)
        self.profile = Profile(transport)
        self.tickets = Tickets(
            CardlyticsTransport(tickets_http or http, self.sessions, mock_data=mock_data)
        )
