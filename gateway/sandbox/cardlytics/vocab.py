"""The documented Cardlytics vocabularies (upstreams.md B3, C2), in the spellings the wire uses."""

from __future__ import annotations

__all__ = [
    "ACTIVATABLE",
    "ACTIVATED",
    "ACTIVATION_STATES",
    "AD_EVENTS",
    "ANONYMOUS",
    "AUTO_ACTIVATED",
    "CHANNELS",
    "CLIENT_EVENTS",
    "CLIENT_EVENT_TYPES",
    "FULLY_REDEEMED",
    "NEW",
    "PARKED",
    "PROCESSING",
    "REDEMPTION_STATES",
    "RESOLUTION_TYPES",
    "SECTIONS",
    "SERVED",
    "VISIBILITY_STATES",
    "VISIBLE",
]

#: x-source-customer-id of customers without a linked card: welcome-basket offers only.
ANONYMOUS = "no-user-available"

# The spec's Channel enum; the seed lists MobileWeb twice where MobileApp was meant (C2#5).
CHANNELS = frozenset({"Email", "SMS", "MMS", "OLB", "MobileWeb", "MobileApp", "MobileWallet"})

# Both documented Section lists are accepted (C2#6).
SECTIONS = frozenset(
    {
        *("Email", "SMS", "MMS", "Transaction", "Summary", "Dashboard", "Landing"),
        *("OnboardingPage", "LatestOffers", "ExpiringSoon", "RewardSummaryListView"),
        *("FeaturedOffers", "EntertainmentCategory", "FoodCategory", "RetailCategory"),
        *("ServicesCategory", "TravelCategory"),
        *("Rewards", "WidgetAccountOverview", "WidgetDebit", "WidgetCredit", "Map"),
    }
)

NEW, SERVED, ACTIVATED = "NEW", "SERVED", "ACTIVATED"
ACTIVATION_STATES = (NEW, SERVED, ACTIVATED)
VISIBLE, PARKED = "VISIBLE", "PARKED"
VISIBILITY_STATES = (VISIBLE, PARKED)
PROCESSING, FULLY_REDEEMED = "PROCESSING", "FULLY_REDEEMED"
REDEMPTION_STATES = (PROCESSING, FULLY_REDEEMED)
ACTIVATABLE, AUTO_ACTIVATED = "ACTIVATABLE", "AUTO_ACTIVATED"

CLIENT_EVENT_TYPES = frozenset(
    {"AdImpression", "AdInteraction", "CustomerProfileAction", "SessionAction"}
)

# The full public ClientEvent list (B3) and the one ClientEventType each belongs to.
CLIENT_EVENTS: dict[str, str] = {
    "DisplayElementExpanded": "AdInteraction",
    "DisplayElementCollapsed": "AdInteraction",
    "UrlLinkClicked": "AdInteraction",
    "UrlLinkContinue": "AdInteraction",
    "ActivateOffer": "AdInteraction",
    "ParkOffer": "AdInteraction",
    "UnParkOffer": "AdInteraction",
    "UnParkAllOffers": "SessionAction",
    "AdViewableImpression": "AdImpression",
    "LogEnrollment": "SessionAction",
    "RewardSummaryLinkClicked": "CustomerProfileAction",
    "LearnMoreLinkClicked": "CustomerProfileAction",
    "FaqLinkClicked": "CustomerProfileAction",
    "ExpiredOffersLinkClicked": "AdInteraction",
}

# Events about one ad: they need clientEventMetadata with the ad's serve token.
# ExpiredOffersLinkClicked is typed AdInteraction but concerns a list, not an ad.
AD_EVENTS = frozenset(
    name
    for name, kind in CLIENT_EVENTS.items()
    if kind in {"AdInteraction", "AdImpression"} and name != "ExpiredOffersLinkClicked"
)

# The documented closing resolutions of a CSA ticket (seed 000).
RESOLUTION_TYPES = (
    "No Credit: Not eligible for reward",
    "No Credit: Reward Pending",
    "No Credit: Reward Received",
)
