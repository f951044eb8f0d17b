"""Only Cardlytics may deliver: every unproven delivery is 401 and stores nothing (B4)."""

from __future__ import annotations

import time

import jwt
import pytest

from tests.support.sandbox import Sandbox
from tests.webhooks.support import (
    KeyPair,
    Receiver,
    body_of,
    rtm_event,
    running_receiver,
    ticket_update,
)

NOTHING = {"ticket_updates": 0, "reward_events": 0, "rewards": 0}


def test_a_signed_delivery_is_stored(receiver: Receiver) -> None:
    response = receiver.deliver(rtm_event())

    assert response.status_code == 200, response.text
    assert response.json() == {"status": "stored"}
    assert receiver.counts() == {"ticket_updates": 0, "reward_events": 1, "rewards": 1}


def test_missing_token(receiver: Receiver) -> None:
    response = receiver.post(body_of(ticket_update()), token=None)

    assert response.status_code == 401
    assert response.json()["reason"] == "missing bearer token"
    assert receiver.counts() == NOTHING


def test_not_a_bearer_token(receiver: Receiver) -> None:
    body = body_of(ticket_update())
    response = receiver.post(body, token=None, Authorization=f"Basic {receiver.keys.sign(body)}")

    assert response.status_code == 401
    assert receiver.counts() == NOTHING


def test_signed_by_another_key(receiver: Receiver) -> None:
    body = body_of(rtm_event())
    forged = KeyPair.generate().sign(body)

    response = receiver.post(body, token=forged)

    assert response.status_code == 401
    assert "InvalidSignatureError" in response.json()["reason"]
    assert receiver.counts() == NOTHING


def test_garbage_token(receiver: Receiver) -> None:
    response = receiver.post(body_of(rtm_event()), token="not.a.jwt")

    assert response.status_code == 401
    assert receiver.counts() == NOTHING


def test_body_changed_after_signing(receiver: Receiver) -> None:
    signed = body_of(rtm_event(amount=5.0))
    tampered = body_of(rtm_event(amount=500.0))

    response = receiver.post(tampered, token=receiver.keys.sign(signed))

    assert response.status_code == 401
    assert response.json()["reason"] == "token is not for this body"
    assert receiver.counts() == NOTHING


def test_expired_token(receiver: Receiver) -> None:
    body = body_of(rtm_event())
    past = int(time.time()) - 3600

    response = receiver.post(body, token=receiver.keys.sign(body, iat=past, exp=past + 300))

    assert response.status_code == 401
    assert response.json()["reason"] == "token expired"
    assert receiver.counts() == NOTHING


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"iss": "someone-else"}, "invalid token: InvalidIssuerError"),
        ({"iss": None}, "invalid token: MissingRequiredClaimError"),
        ({"sub": None}, "invalid token: MissingRequiredClaimError"),
        ({"exp": None}, "invalid token: MissingRequiredClaimError"),
        ({"exp": int(time.time()) + 86_400}, "token lives longer than five minutes"),
    ],
)
def test_claims_that_do_not_hold(
    receiver: Receiver, claims: dict[str, object], reason: str
) -> None:
    body = body_of(ticket_update())

    response = receiver.post(body, token=receiver.keys.sign(body, **claims))

    assert response.status_code == 401
    assert response.json()["reason"] == reason
    assert receiver.counts() == NOTHING


def test_a_token_for_an_unsigned_algorithm_is_refused(receiver: Receiver) -> None:
    body = body_of(ticket_update())
    unsigned = jwt.encode(
        {"iss": "cardlytics", "exp": int(time.time()) + 60, "sub": "x"}, "", algorithm="none"
    )

    response = receiver.post(body, token=unsigned)

    assert response.status_code == 401
    assert receiver.counts() == NOTHING


def test_no_key_configured_refuses_everything(sandbox: Sandbox, sender_keys: KeyPair) -> None:
    with running_receiver(sandbox, sender_keys, webhook_public_key_pem=None) as receiver:
        response = receiver.deliver(rtm_event())

        assert response.status_code == 401
        assert response.json()["reason"] == "no webhook public key is configured"
        assert receiver.counts() == NOTHING


def test_sender_outside_the_allow_list(sandbox: Sandbox, sender_keys: KeyPair) -> None:
    with running_receiver(
        sandbox, sender_keys, webhook_allowed_networks=("10.0.0.0/8",)
    ) as receiver:
        response = receiver.deliver(rtm_event())

        assert response.status_code == 401
        assert response.json()["reason"] == "sender address not allowed"
        assert receiver.counts() == NOTHING


def test_sender_inside_the_allow_list(sandbox: Sandbox, sender_keys: KeyPair) -> None:
    with running_receiver(
        sandbox, sender_keys, webhook_allowed_networks=("10.0.0.0/8", "127.0.0.0/8")
    ) as receiver:
        assert receiver.deliver(rtm_event()).status_code == 200
        # the address alone is not enough: the token is still checked
        assert receiver.post(body_of(rtm_event()), token=None).status_code == 401
        assert receiver.counts()["reward_events"] == 1
