"""Control endpoints of the Cardlytics simulator for purchases, rewards and the webhook.

Not part of the Cardlytics API: they stand in for what happens elsewhere (a card purchase, the
settlement run, the consultant who configures the webhook) so tests and developers can drive the
asynchronous flows. Errors use the simulator's usual body (404 ``NotFound``, 409 ``Conflict``).

- ``PUT /_sandbox/webhook`` ``{"url": ...}`` sets where ticket updates and RTM events go
  (``null`` stops deliveries); ``GET`` shows it; ``reset`` restores ``webhook_url``.
- ``GET /_sandbox/deliveries[?kind=ticket|rtm]``: every delivery, oldest first, with its attempts.
- ``GET /_sandbox/webhook-public-key``: the PEM that verifies the webhook JWTs.
- ``POST /_sandbox/purchases``: a purchase on an activated offer, see ``rewards``.
- ``POST /_sandbox/redemptions/{redemptionId}/confirm`` and ``.../reverse``.
- ``GET /_sandbox/customers/{sourceCustomerId}``: a customer's links, transactions (with the
  redemption each earned, if any) and offers' states, to pick ids for tickets and purchases.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from gateway.sandbox.cardlytics import rewards
from gateway.sandbox.cardlytics.errors import CardlyticsError
from gateway.sandbox.cardlytics.model import AdState, iso
from gateway.sandbox.cardlytics.state import SimDep, Simulator
from gateway.sandbox.control import CONTROL_PREFIX

__all__ = ["router"]

router = APIRouter(prefix=CONTROL_PREFIX, tags=["sandbox control"])


class WebhookTarget(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: AnyHttpUrl | None


class PurchaseOrder(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sourceCustomerId: str = Field(min_length=1)
    adId: str = Field(min_length=1)
    amount: Decimal = Field(gt=0, decimal_places=2)
    sourceAccountId: str | None = None
    # confirm the reward this many seconds later; absent: it stays pending until confirmed
    settleAfterS: float | None = Field(default=None, ge=0)


def _refused(error: rewards.RewardRefused) -> CardlyticsError:
    if error.status == 404:
        return CardlyticsError(404, "NotFound", error.message)
    return CardlyticsError(error.status, "Conflict", error.message)


@router.get("/webhook")
async def get_webhook(sim: SimDep) -> dict[str, str | None]:
    return {"url": sim.webhooks.url}


@router.put("/webhook")
async def put_webhook(target: WebhookTarget, sim: SimDep) -> dict[str, str | None]:
    sim.webhooks.set_url(str(target.url) if target.url else None)
    return {"url": sim.webhooks.url}


@router.get("/deliveries")
async def deliveries(
    sim: SimDep, kind: Literal["ticket", "rtm"] | None = None
) -> dict[str, list[dict[str, Any]]]:
    log = [d.to_json() for d in sim.webhooks.log if kind is None or d.kind == kind]
    return {"deliveries": log}


@router.get("/webhook-public-key")
async def webhook_public_key(sim: SimDep) -> Response:
    return Response(sim.webhooks.public_key_pem, media_type="application/x-pem-file")


@router.post("/purchases", status_code=201)
async def purchase(order: PurchaseOrder, sim: SimDep) -> dict[str, Any]:
    try:
        result = rewards.purchase(
            sim,
            rewards.Purchase(
                customer_id=order.sourceCustomerId,
                ad_id=order.adId,
                amount=order.amount,
                account_id=order.sourceAccountId,
                settle_after_s=order.settleAfterS,
            ),
        )
    except rewards.RewardRefused as error:
        raise _refused(error) from None
    return result.to_json()


@router.post("/redemptions/{redemption_id}/confirm")
async def confirm_redemption(redemption_id: str, sim: SimDep) -> dict[str, Any]:
    try:
        return {"redemption": rewards.confirm(sim, redemption_id).to_json()}
    except rewards.RewardRefused as error:
        raise _refused(error) from None


@router.post("/redemptions/{redemption_id}/reverse")
async def reverse_redemption(redemption_id: str, sim: SimDep) -> dict[str, Any]:
    try:
        return {"reversal": rewards.reverse(sim, redemption_id).to_json()}
    except rewards.RewardRefused as error:
        raise _refused(error) from None


@router.get("/customers/{customer_id}")
async def customer_overview(customer_id: str, sim: SimDep) -> dict[str, Any]:
    customer = sim.customer(customer_id)
    now = datetime.now(UTC)
    earned = {r.transaction_id: r.redemption_id for r in customer.redemptions if r.counts}
    return {
        "sourceCustomerId": customer.customer_id,
        "enrolled": customer_id not in sim.unenrolled,
        "accountLinks": [
            {"accountLinkId": link.link_id, "status": link.status}
            for link in customer.links.values()
        ],
        "transactions": [
            txn.to_json() | {"redemptionId": earned.get(txn.transaction_id)}
            for txn in sorted(customer.transactions.values(), key=lambda t: t.date)
        ],
        "redemptions": [r.to_json() for r in customer.redemptions],
        "offers": [_offer(sim, ad_id, state, now) for ad_id, state in customer.ads.items()],
    }


def _offer(sim: Simulator, ad_id: str, state: AdState, now: datetime) -> dict[str, Any]:
    spec = sim.ad(ad_id)
    return {
        "adId": ad_id,
        "activationState": state.activation,
        "visibilityState": state.visibility,
        "redemptionState": state.redemption,
        "activationDate": iso(state.activated_at) if state.activated_at else None,
        "running": spec.running(now),
        "rewardType": spec.reward.reward_type,
        "minSpendAmount": str(spec.reward.min_spend),
        "isMultiRedemption": spec.reward.multi_redemption,
    }
