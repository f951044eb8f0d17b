"""The documented Cardlytics vocabularies (upstreams.md B3, C1, C2).

What we *send* uses the enums themselves, so a value outside the list fails before any request.
What we *receive* uses the ``Open*`` aliases: the enum member when known, the raw ``str`` when not.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

from gateway.upstreams.cardlytics.models.base import warn_unknown

__all__ = [
    "ActivationModel",
    "AdActivationState",
    "AdRedemptionState",
    "AdType",
    "AdVisibilityState",
    "Channel",
    "LinkProvider",
    "OpenActivationModel",
    "OpenActivationState",
    "OpenAdType",
    "OpenRedemptionState",
    "OpenResolutionType",
    "OpenRewardType",
    "OpenRtmEvent",
    "OpenTicketStatus",
    "OpenVisibilityState",
    "ProcessingStatus",
    "RealtimeEventType",
    "ResolutionType",
    "RewardType",
    "Section",
    "TicketStatus",
]


class Channel(StrEnum):
    # The seed lists MobileWeb twice; the spec's second value is MobileApp (C2#5).
    EMAIL = "Email"
    SMS = "SMS"
    MMS = "MMS"
    OLB = "OLB"
    MOBILE_WEB = "MobileWeb"
    MOBILE_APP = "MobileApp"
    MOBILE_WALLET = "MobileWallet"


class Section(StrEnum):
    # The union of the seed's list and the spec's (C2#6): both are documented.
    EMAIL = "Email"
    SMS = "SMS"
    MMS = "MMS"
    TRANSACTION = "Transaction"
    SUMMARY = "Summary"
    DASHBOARD = "Dashboard"
    LANDING = "Landing"
    ONBOARDING_PAGE = "OnboardingPage"
    LATEST_OFFERS = "LatestOffers"
    EXPIRING_SOON = "ExpiringSoon"
    REWARD_SUMMARY_LIST_VIEW = "RewardSummaryListView"
    FEATURED_OFFERS = "FeaturedOffers"
    REWARDS = "Rewards"
    WIDGET_ACCOUNT_OVERVIEW = "WidgetAccountOverview"
    WIDGET_DEBIT = "WidgetDebit"
    WIDGET_CREDIT = "WidgetCredit"
    MAP = "Map"
    ENTERTAINMENT_CATEGORY = "EntertainmentCategory"
    FOOD_CATEGORY = "FoodCategory"
    RETAIL_CATEGORY = "RetailCategory"
    SERVICES_CATEGORY = "ServicesCategory"
    TRAVEL_CATEGORY = "TravelCategory"


class AdActivationState(StrEnum):
    NEW = "NEW"
    SERVED = "SERVED"
    ACTIVATED = "ACTIVATED"


class AdVisibilityState(StrEnum):
    VISIBLE = "VISIBLE"
    PARKED = "PARKED"


class AdRedemptionState(StrEnum):
    PROCESSING = "PROCESSING"
    FULLY_REDEEMED = "FULLY_REDEEMED"


class AdType(StrEnum):
    CASH_BACK_OFFER = "CASH_BACK_OFFER"


class RewardType(StrEnum):
    PERCENT_AMOUNT_PURCHASE = "PERCENT_AMOUNT_PURCHASE"
    FIXED_AMOUNT_PURCHASE = "FIXED_AMOUNT_PURCHASE"
    METERED_AMOUNT_PURCHASE = "METERED_AMOUNT_PURCHASE"


class ActivationModel(StrEnum):
    ACTIVATABLE = "ACTIVATABLE"
    AUTO_ACTIVATED = "AUTO_ACTIVATED"


class LinkProvider(StrEnum):
    # the only provider startAccountLink supports today
    PLAID_HOSTED = "PLAID_HOSTED"


class TicketStatus(StrEnum):
    IN_PROCESS = "In Process"
    CLOSED = "Closed"


class ResolutionType(StrEnum):
    # "Blank" is the absence of a resolution and reads as None (C1#6).
    NOT_ELIGIBLE = "No Credit: Not eligible for reward"
    REWARD_PENDING = "No Credit: Reward Pending"
    REWARD_RECEIVED = "No Credit: Reward Received"


class ProcessingStatus(StrEnum):
    # Closed on purpose: a ticket update with any other value is rejected (C1#7).
    SUCCESS = "Success"
    ERROR = "Error"


class RealtimeEventType(StrEnum):
    REDEMPTION_PENDING = "REDEMPTION_PENDING"
    REDEMPTION_CONFIRMED = "REDEMPTION_CONFIRMED"
    REDEMPTION_ACCUMULATING_PENDING = "REDEMPTION_ACCUMULATING_PENDING"


_LEFT_TO_RIGHT = Field(union_mode="left_to_right")

OpenActivationState = Annotated[
    AdActivationState | str, _LEFT_TO_RIGHT, warn_unknown(AdActivationState)
]
OpenVisibilityState = Annotated[
    AdVisibilityState | str, _LEFT_TO_RIGHT, warn_unknown(AdVisibilityState)
]
OpenRedemptionState = Annotated[
    AdRedemptionState | str, _LEFT_TO_RIGHT, warn_unknown(AdRedemptionState)
]
OpenAdType = Annotated[AdType | str, _LEFT_TO_RIGHT, warn_unknown(AdType)]
OpenRewardType = Annotated[RewardType | str, _LEFT_TO_RIGHT, warn_unknown(RewardType)]
OpenActivationModel = Annotated[
    ActivationModel | str, _LEFT_TO_RIGHT, warn_unknown(ActivationModel)
]
OpenTicketStatus = Annotated[TicketStatus | str, _LEFT_TO_RIGHT, warn_unknown(TicketStatus)]
OpenResolutionType = Annotated[ResolutionType | str, _LEFT_TO_RIGHT, warn_unknown(ResolutionType)]
OpenRtmEvent = Annotated[RealtimeEventType | str, _LEFT_TO_RIGHT, warn_unknown(RealtimeEventType)]
