"""The Cardlytics models against every sample in seeds 000/001 and the tolerance rules of Part C.

The samples live in ``tests/fixtures/cardlytics`` made strict JSON (trailing commas removed, the
getAds ``ads`` object closed, scraped e-mail addresses replaced). They are read with the client's
own ``loads`` so that numbers arrive as the client sees them (``Decimal``, never float).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest
from pydantic import ValidationError

from gateway.upstreams.cardlytics.models import (
    Accepted,
    AccountLinkStatus,
    AdActivationState,
    Ads,
    AdsQuery,
    ClientEvent,
    ImageSize,
    Money,
    NewTicket,
    ProcessingStatus,
    RealtimeEvent,
    RealtimeEventType,
    ResolutionType,
    RewardFileRecord,
    Ticket,
    TicketStatus,
    TicketUpdate,
    read_ads,
    read_customer,
)
from gateway.upstreams.cardlytics.wire import loads

FIXTURES = Path(__file__).parents[1] / "fixtures" / "cardlytics"


def fixture(name: str) -> Any:
    return loads((FIXTURES / name).read_bytes())


def ads_from(answer: dict[str, Any]) -> Ads:
    """A getAds answer as the client reads it: from JSON text, money written as numbers."""
    return read_ads(msgspec.json.Encoder(decimal_format="number").encode(answer))


GET_ADS_REQUEST = fixture("get_ads_request.json")
GET_ADS_RESPONSE = fixture("get_ads_response.json")
CLIENT_EVENT_SAMPLES = [
    fixture("client_event_log_enrollment.json"),
    fixture("client_event_activate_offer.json"),
    fixture("client_event_impression.json"),
]
CLIENT_EVENT_RESPONSE = fixture("client_event_response.json")
REWARD_FILE_RECORD = fixture("reward_file_record.json")
TICKET_CREATE = fixture("ticket_create.json")
TICKET_GET = fixture("ticket_get.json")
TICKET_UPDATE_SUCCESS = fixture("ticket_update_success.json")
TICKET_UPDATE_FAILED = fixture("ticket_update_failed.json")
RTM_EVENT = fixture("rtm_event.json")

UPDATE_WITH_CUSTOMER_ID = (
    '{"sourceTicketId": "t", "sourceCustomerId": %s, "processingStatus": "Error"}'
)
AD_ID = "1000056632"
MISSING_AD_ID = "1000058746"  # ranked and categorised in the sample, but not in ``ads``


# --- seed samples -------------------------------------------------------------------------------


def test_get_ads_sample_parses_with_exact_money(caplog: pytest.LogCaptureFixture) -> None:
    # when
    with caplog.at_level(logging.WARNING, "gateway.upstreams.cardlytics"):
        ads = read_ads((FIXTURES / "get_ads_response.json").read_bytes())

    # then
    ad = ads.ads[AD_ID]
    assert ad.ad_id == AD_ID
    assert ad.reward is not None
    assert ad.reward.reward_amount == Decimal("5.0")
    assert isinstance(ad.reward.max_reward_amount, Decimal)
    assert ad.reward.min_spend_amount == Decimal("0.2")
    assert ad.activation_state is AdActivationState.NEW
    assert ad.start_date == datetime(2024, 6, 13, 23, 0, tzinfo=UTC)
    assert ad.assets is not None
    copy, logo = ad.assets.ad_copy, ad.assets.logo
    assert copy is not None and copy.value["headline"] == "£5 Bonus Rewards"
    assert logo is not None and logo.value.small == ImageSize(
        url="https://publisher-cdn-us.cardlytics.com/images/non-annotated-logo/"
        "8f98ada322d648eebc44e599ed7ff9cc.jpg",
        width=128,
        height=128,
    )
    requirement = ad.reward.purchase_requirement
    assert requirement is not None and requirement.min_spend_amount == Decimal("0.2")
    assert ads.categories[AD_ID].name == "Food"
    assert ads.store_locations is None


def test_get_ads_ranking_id_missing_from_ads_is_skipped_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # when
    with caplog.at_level(logging.WARNING, "gateway.upstreams.cardlytics"):
        ads = read_ads((FIXTURES / "get_ads_response.json").read_bytes())

    # then
    assert ads.rankings["all"] == (AD_ID,)
    assert [ad.ad_id for ad in ads.ranked()] == [AD_ID]
    assert [r.missing_ad_ids for r in caplog.records if hasattr(r, "missing_ad_ids")] == [
        [MISSING_AD_ID]
    ]


def test_get_ads_request_sample_round_trips() -> None:
    # when
    query = AdsQuery.model_validate(GET_ADS_REQUEST)

    # then
    assert query.payload() == GET_ADS_REQUEST


@pytest.mark.parametrize("sample", CLIENT_EVENT_SAMPLES, ids=["enrollment", "activate", "view"])
def test_client_event_samples_parse_and_round_trip(sample: dict[str, Any]) -> None:
    # given
    (raw,) = sample["clientEvents"]

    # when
    event = ClientEvent.model_validate(raw)

    # then
    assert event.model_dump(mode="json", exclude_none=True) == raw


def test_client_event_response_sample_parses() -> None:
    assert Accepted.model_validate(CLIENT_EVENT_RESPONSE).request_id == (
        "380052b4-3a64-4952-b640-ba696eb9f44b"
    )


def test_reward_file_record_keeps_the_amount_as_its_raw_text() -> None:
    # when
    record = RewardFileRecord.model_validate(REWARD_FILE_RECORD)

    # then
    assert record.reward_amount_raw == "359"
    assert record.reward_currency_type == "USD"
    assert record.source_transaction_ids == ("b59977fa-7b66-4fde-88c6-89acec5d57cf",)
    assert record.redemption_date == datetime(2025, 3, 8, tzinfo=UTC)
    assert record.is_reversal is False


def test_ticket_get_sample_parses_ids_as_text_and_a_zoneless_date_as_utc() -> None:
    # when
    ticket = Ticket.model_validate(TICKET_GET)

    # then
    assert ticket.cdlx_ticket_id == "111339"
    assert ticket.source_customer_id == "70940001756524"
    assert ticket.offer_id == "1000030804"
    assert ticket.transaction_ids == ("1132328647",)
    assert ticket.status is TicketStatus.CLOSED
    assert ticket.activation_date == datetime(2023, 10, 22, 10, 54, 9, tzinfo=UTC)
    assert ticket.redemption_ids == ()
    assert ticket.resolution_type is None


def test_ticket_create_payload_matches_the_sample_but_sends_the_customer_as_text() -> None:
    # given
    ticket = NewTicket(
        source_ticket_id="testMonzo",
        source_customer_id="1756524",
        offer_id="1000030804",
        transaction_ids=("1132328647",),
        description="testMonzo description",
        author_email_address="agent@example.com",
    )

    # when
    body = ticket.payload()

    # then
    assert body == {**TICKET_CREATE, "sourceCustomerId": "1756524"}


def test_ticket_update_success_sample_parses() -> None:
    # when
    update = TicketUpdate.model_validate(TICKET_UPDATE_SUCCESS)

    # then
    assert update.processing_status is ProcessingStatus.SUCCESS
    assert update.cdlx_ticket_id == "111339"
    assert update.source_customer_id == "6a4a5ce6-9484-4051-84c7-07b5d845ab5c"
    assert update.status is TicketStatus.CLOSED


def test_ticket_update_failed_sample_parses_and_keeps_unknown_fields_aside() -> None:
    # when
    update = TicketUpdate.model_validate(TICKET_UPDATE_FAILED)

    # then
    assert update.processing_status is ProcessingStatus.ERROR
    assert update.processing_status_message == "Ticket already exists"
    assert update.source_customer_id == "1756524"
    assert update.cdlx_ticket_id is None and update.status is None
    assert update.resolution_type == "Courtesy Credit"  # unknown value kept as text
    assert not isinstance(update.resolution_type, ResolutionType)
    assert update.transaction_ids == ("1132328647",)
    assert update.model_extra == {"institutionId": "7094"}


def test_rtm_event_parses_with_exact_amounts() -> None:
    # when
    event = RealtimeEvent.model_validate(RTM_EVENT)

    # then
    assert event.event is RealtimeEventType.REDEMPTION_CONFIRMED
    (redemption,) = event.redemptions
    assert redemption.amount == Decimal("5.00") and str(redemption.amount) == "5.00"
    assert redemption.reward_settlement_run_date is None


# --- tolerance of representation (answers the simulator never sends) ----------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("111339", "111339"),
        ('"111339"', "111339"),
        ("1.11339e5", "111339"),
        ("111339.0", "111339"),
        ("70940001756524", "70940001756524"),
    ],
)
def test_numeric_ids_become_their_decimal_text(raw: str, expected: str) -> None:
    # given
    body = loads(
        f'{{"sourceTicketId": "t", "sourceCustomerId": {raw}, "processingStatus": "Error"}}'
    )

    # then
    assert TicketUpdate.model_validate(body).source_customer_id == expected


@pytest.mark.parametrize("raw", ["1.5", "true", "{}"])
def test_ids_that_are_not_whole_numbers_or_text_are_refused(raw: str) -> None:
    body = loads(
        f'{{"sourceTicketId": "t", "sourceCustomerId": {raw}, "processingStatus": "Error"}}'
    )
    with pytest.raises(ValidationError):
        TicketUpdate.model_validate(body)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"redemptionId": 517713527}, ("517713527",)),
        ({"redemptionId": ["1", "2"]}, ("1", "2")),
        ({"redemptionIds": "9"}, ("9",)),
        ({"redemptionIds": ["1"], "redemptionId": "1"}, ("1",)),
        ({}, ()),
    ],
)
def test_redemption_ids_under_either_key_scalar_or_array(
    fields: dict[str, Any], expected: tuple[str, ...]
) -> None:
    # given
    body = {key: value for key, value in TICKET_GET.items() if key != "redemptionIds"} | fields

    # then
    assert Ticket.model_validate(body).redemption_ids == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Blank", None),
        ("", None),
        (None, None),
        ("No Credit: Reward Pending", ResolutionType.REWARD_PENDING),
        ("Courtesy Credit", "Courtesy Credit"),
    ],
)
def test_resolution_type_blank_is_none_and_unknown_is_kept(
    value: str | None, expected: Any
) -> None:
    ticket = Ticket.model_validate({**TICKET_GET, "resolutionType": value})
    assert ticket.resolution_type == expected


def test_unknown_enum_values_are_kept_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    # given
    ad = GET_ADS_RESPONSE["ads"][AD_ID] | {"activationState": "DORMANT", "adType": "GIFT_CARD"}

    # when
    with caplog.at_level(logging.WARNING, "gateway.upstreams.cardlytics"):
        ads = ads_from({"ads": {AD_ID: ad}, "rankings": {"all": [AD_ID]}})

    # then
    assert ads.ads[AD_ID].activation_state == "DORMANT"
    assert ads.ads[AD_ID].ad_type == "GIFT_CARD"
    assert {getattr(r, "value", None) for r in caplog.records} >= {"DORMANT", "GIFT_CARD"}


def test_min_spend_falls_back_to_the_reward() -> None:
    # given
    reward = {"rewardType": "FIXED_AMOUNT_PURCHASE", "rewardAmount": Decimal("5.00")}
    ad = {"merchantName": "M", "reward": reward | {"minSpendAmount": Decimal("25.00")}}

    # when
    ads = ads_from({"ads": {AD_ID: ad}})

    # then
    parsed = ads.ads[AD_ID].reward
    assert parsed is not None
    assert parsed.min_spend_amount == Decimal("25.00")


def test_inner_ad_id_that_differs_from_the_key_is_ignored_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given
    ad = {"merchantName": "M", "adId": "999"}

    # when
    with caplog.at_level(logging.WARNING, "gateway.upstreams.cardlytics"):
        ads = ads_from({"ads": {AD_ID: ad}, "rankings": {"all": [int(AD_ID)]}})

    # then
    assert ads.ads[AD_ID].ad_id == AD_ID
    assert ads.rankings["all"] == (AD_ID,)
    assert "differs from its map key" in caplog.text


def test_null_maps_read_as_empty() -> None:
    ads = ads_from({"ads": None, "rankings": None, "categories": None})
    assert (ads.ads, ads.rankings, ads.categories) == ({}, {}, {})


# --- strict on meaning --------------------------------------------------------------------------


def test_ticket_update_with_an_undocumented_processing_status_is_refused() -> None:
    with pytest.raises(ValidationError):
        TicketUpdate.model_validate({**TICKET_UPDATE_SUCCESS, "processingStatus": "Pending"})


@pytest.mark.parametrize("missing", ["sourceTicketId", "sourceCustomerId", "processingStatus"])
def test_ticket_update_needs_its_required_fields(missing: str) -> None:
    body = {key: value for key, value in TICKET_UPDATE_SUCCESS.items() if key != missing}
    with pytest.raises(ValidationError):
        TicketUpdate.model_validate(body)


def test_ticket_get_needs_its_required_fields() -> None:
    body = {key: value for key, value in TICKET_GET.items() if key != "cdlxTicketId"}
    with pytest.raises(ValidationError):
        Ticket.model_validate(body)


@pytest.mark.parametrize(
    "fields",
    [
        {"channel": "Fax"},
        {"channel": "OLB", "sections": ["Sidebar"]},
        {"channel": "OLB", "activationStates": ["EXPIRED"]},
        {"channel": "OLB", "maxAdLimit": 0},
        {"channel": "OLB", "maxAdLimit": "10"},
        {"channel": "OLB", "pageSize": 10},
    ],
)
def test_ads_query_outside_the_documented_lists_fails_before_sending(
    fields: dict[str, Any],
) -> None:
    with pytest.raises(ValueError):
        AdsQuery.model_validate(fields)


def test_ads_query_accepts_both_documented_section_lists_and_normalises() -> None:
    # when
    query = AdsQuery.model_validate(
        {"channel": "MobileApp", "sections": ["Map", "FoodCategory", "Map"], "categoryIds": []}
    )

    # then
    assert query.payload() == {"channel": "MobileApp", "sections": ["FoodCategory", "Map"]}
    assert hash(query) == hash(AdsQuery.model_validate(query.payload()))


@pytest.mark.parametrize("count", [0, 11])
def test_new_ticket_takes_one_to_ten_transactions(count: int) -> None:
    with pytest.raises(ValidationError):
        NewTicket(
            source_ticket_id="t-1",
            source_customer_id="c",
            offer_id="1",
            transaction_ids=tuple(str(n) for n in range(count)),
            description="d",
        )


def test_new_ticket_sends_digit_ids_as_numbers_and_others_as_text() -> None:
    # given
    ticket = NewTicket(
        source_ticket_id="t-1",
        source_customer_id="c",
        offer_id="1000030804",
        transaction_ids=("1132328647", "0042", "b59977fa-7b66"),
        description="d",
    )

    # then
    body = ticket.payload()
    assert body["offerId"] == 1000030804
    assert body["transactionIds"] == [1132328647, "0042", "b59977fa-7b66"]


@pytest.mark.parametrize(
    "change",
    [
        {"clientEventType": "AdImpression"},  # ActivateOffer is an AdInteraction
        {"clientEventMetadata": None},  # an ad event without its ad
        {"clientEvent": "ShareOffer"},
        {"clientEventTimestamp": "2024-10-01T07:00:00"},
    ],
)
def test_client_event_pair_and_metadata_must_agree(change: dict[str, Any]) -> None:
    raw = CLIENT_EVENT_SAMPLES[1]["clientEvents"][0] | change
    with pytest.raises(ValidationError):
        ClientEvent.model_validate(raw)


# --- the remaining samples: startSession, the account link profile, money ----------------------


def test_start_session_sample_names_exactly_the_fields_the_client_sends() -> None:
    # the seed's sample is {"clientId": "String", "secret": "String"}; C2#3 forbids other names
    assert set(fixture("start_session_request.json")) == {"clientId", "secret"}


def test_account_link_profile_sample_keeps_statuses_and_drops_nulls() -> None:
    # when
    status = AccountLinkStatus.model_validate(fixture("account_link_status.json"))

    # then
    assert status.linked
    assert [link.status for link in status.account_links] == [
        "LinkingInitiated",
        "LinkingInProgress",
    ]
    assert status.account_links[1].account_link_id == "b3c1d2e4-5f60-4a7b-8c9d-0e1f2a3b4c5d"
    (account,) = status.accounts
    assert (account.card_type, account.last4) == ("CREDIT", "0042")


def test_no_links_reads_as_not_linked() -> None:
    assert not AccountLinkStatus.model_validate({"accountLinks": [None], "accounts": []}).linked


def test_api_amounts_pair_with_the_portfolio_currency() -> None:
    # given
    (redemption,) = RealtimeEvent.model_validate(RTM_EVENT).redemptions
    customer = read_customer(
        b'{"sourceCustomerId": 1756524,'
        b' "portfolios": [{"sourcePortfolioId": "P", "rewardCurrencyUnit": "GBP"}]}'
    )

    # when
    assert customer.reward_currency is not None
    money = redemption.reward(customer.reward_currency)

    # then
    assert money == Money(Decimal("5.00"), "GBP")
    assert customer.source_customer_id == "1756524"


@pytest.mark.parametrize(("amount", "currency"), [(Decimal("NaN"), "USD"), (Decimal(1), "usd")])
def test_money_is_finite_with_an_iso_currency(amount: Decimal, currency: str) -> None:
    with pytest.raises(ValueError):
        Money(amount, currency)
