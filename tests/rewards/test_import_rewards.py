"""``rewards-gateway import-rewards FILE``: idempotent, reports new / duplicate / rejected, and
what it loads shows in the customer's rewards."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from gateway.cli import main
from tests.sandbox.cardlytics_support import UNLINKED
from tests.webhooks.support import Receiver

REWARDS = "{ rewards { id state isReversal amount { amount currency } settlementDate } }"


def _record(redemption_id: str, **fields: Any) -> dict[str, Any]:
    """The document's sample reward file record, for the sample customer ``UNLINKED``."""
    return {
        "redemptionId": redemption_id,
        "sourceOrganizationId": "AFFINA",
        "sourcePortfolioId": "AFFINA-Standard",
        "redemptionDate": "2025-03-08T00:00:00.000Z",
        "sourceAccountId": "c5f0be70-bb01-4da1-a01c-8d63b1425633",
        "sourceCustomerId": UNLINKED,
        "sourceTransactionIds": ["b59977fa-7b66-4fde-88c6-89acec5d57cf"],
        "adId": "1000080445",
        "rewardId": "84359",
        "rewardAmount": "359",
        "rewardCurrencyType": "USD",
        "isOfferFullyRedeemed": True,
        "isReversal": False,
        "rewardSettlementProcessDate": "2025-03-11T16:48:52.261Z",
        **fields,
    }


def _import(
    receiver: Receiver,
    path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> tuple[int, str, str]:
    monkeypatch.setenv("GATEWAY_DATABASE_URL", receiver.gateway.settings.database_url)
    code = main(["import-rewards", str(path)])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_file_is_imported_once(
    receiver: Receiver,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "rewards.json"
    records = [
        _record("517713527"),
        _record("517713528", rewardAmount="120", rewardSettlementProcessDate=None),
        _record("517713529", rewardAmount="lots"),
        "not a record",
    ]
    path.write_text(json.dumps(records))

    code, out, err = _import(receiver, path, monkeypatch, capsys)

    assert (code, out) == (1, "2 new, 0 duplicate, 2 rejected\n")
    assert "importing [" in err and "4/4" in err
    assert "rejected record 3: rewardAmount: Value error, rewardAmount is not a number" in err
    assert "rejected record 4: not a JSON object" in err
    assert UNLINKED not in err + out  # no customer id in what is printed
    assert len(receiver.rows("rewards")) == 2

    code, out, _ = _import(receiver, path, monkeypatch, capsys)

    assert (code, out) == (1, "0 new, 2 duplicate, 2 rejected\n")
    assert len(receiver.rows("rewards")) == 2
    assert len(receiver.rows("reward_events")) == 2

    gateway = receiver.gateway
    result = asyncio.run(gateway.execute(REWARDS, token=gateway.customer("customer-unlinked")))
    assert result.errors == []
    assert result.data == {
        "rewards": [
            {
                "id": "517713528",
                "state": "PENDING",
                "isReversal": False,
                "amount": {"amount": "1.20", "currency": "USD"},
                "settlementDate": None,
            },
            {
                "id": "517713527",
                "state": "SETTLED",
                "isReversal": False,
                "amount": {"amount": "3.59", "currency": "USD"},
                "settlementDate": "2025-03-11T16:48:52.261000+00:00",
            },
        ]
    }


def test_json_lines_and_a_single_object(
    receiver: Receiver,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    lines = tmp_path / "rewards.jsonl"
    lines.write_text(
        json.dumps(_record("1")) + "\n\n" + json.dumps(_record("2", isReversal=True)) + "\n"
    )
    single = tmp_path / "one.json"
    single.write_text(json.dumps(_record("1"), indent=2))

    assert _import(receiver, lines, monkeypatch, capsys)[:2] == (
        0,
        "2 new, 0 duplicate, 0 rejected\n",
    )
    assert _import(receiver, single, monkeypatch, capsys)[:2] == (
        0,
        "0 new, 1 duplicate, 0 rejected\n",
    )
    reversal = next(r for r in receiver.rows("rewards") if r["redemption_id"] == "2")
    assert (reversal["is_reversal"], reversal["amount"]) == (1, "-3.59")


def test_an_unreadable_file_stops_with_one_line(
    receiver: Receiver,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"redemptionId": \n')

    code, out, err = _import(receiver, path, monkeypatch, capsys)

    assert (code, out) == (2, "")
    assert err.startswith("rewards-gateway: line 1 is not JSON")
    assert _import(receiver, tmp_path / "missing.json", monkeypatch, capsys)[0] == 2
    assert receiver.rows("rewards") == []
