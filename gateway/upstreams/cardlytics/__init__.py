"""Client of the Cardlytics Rewards Platform and CSA tickets APIs (seeds 000, 001).

::

    client.py     CardlyticsClient: the facade the composition root builds
    sessions.py   SessionTokens: startSession, cached per hashed customer id, single flight
    transport.py  CardlyticsTransport: every authenticated call; one refresh on a 401
    wire.py       Expect: statuses to typed errors, 2xx bodies to models
    offers.py     getAds            events.py   clientEvent (+ event builders)
    linking.py    accountLink       profile.py  customerProfile reads
    tickets.py    CSA tickets       models/     every payload, sent or received
"""

from __future__ import annotations

from gateway.upstreams.cardlytics.client import REQUEST_ID_HEADER, CardlyticsClient
from gateway.upstreams.cardlytics.sessions import SessionTokens

__all__ = ["REQUEST_ID_HEADER", "CardlyticsClient", "SessionTokens"]
