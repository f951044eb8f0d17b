"""The AD_COPY texts of an ad, worded like the seed's sample (``Earn 5% Cash on your ...``)."""

from __future__ import annotations

from decimal import Decimal

from gateway.sandbox.cardlytics.model import AdSpec

__all__ = ["ad_copy"]


def ad_copy(spec: AdSpec) -> dict[str, str]:
    reward, merchant = spec.reward, spec.merchant
    earn = (
        _percent(reward.amount)
        if reward.reward_type.startswith("PERCENT")
        else _money(reward.amount)
    )
    terms = (
        f"Offer expires {spec.end:%d %b %Y}. "
        f"Offer valid {'multiple times' if reward.multi_redemption else 'one time only'}."
    )
    if reward.metered:
        pre = f"Spend {_money(reward.min_spend)} in total at {merchant} and earn {earn} Cash!"
        reward_copy = (
            f"Earn {earn} Cash once your {merchant} purchases reach {_money(reward.min_spend)}."
        )
    elif reward.reward_type.startswith("PERCENT"):
        pre = f"Earn {earn} Cash on your {merchant} purchase!"
        reward_copy = f"{pre[:-1]}, with a {_money(reward.max_amount)} Cash maximum."
    else:
        pre = f"Earn {earn} Cash when you spend {_money(reward.min_spend)} or more at {merchant}!"
        reward_copy = pre[:-1] + "."
    return {  # the seed's keys, in the seed's order
        "preMessage": pre,
        "rewardCopy": reward_copy,
        "postMessage": f"{reward_copy}<br/><br/>{terms}",
        "thankYouMessage": f"Thank you for your {merchant} purchase.",
        "headline": f"{earn} Cash Back",
        "shortPreMessage": f"Earn {earn} Cash!",
        "termsAndConditions": terms,
    }


def _percent(amount: Decimal) -> str:
    return f"{amount.normalize():f}%"


def _money(amount: Decimal) -> str:
    whole = amount == amount.to_integral_value()
    return f"${amount:.0f}" if whole else f"${amount:.2f}"
