"""``rewards-gateway import-rewards FILE``: load a Cardlytics reward file into the store.

The file holds reward records in the document's format (seed 001, "Sample Reward File"): one
JSON object, a JSON array of them, or one object per line (JSON Lines). Each record is checked
(``RewardFileRecord``) and stored like an RTM event (``store_reward_record``): a record imported
before, byte for byte the same, is a duplicate and changes nothing, so a file can be loaded
again after a failure. Rejected records are reported by their position, never by customer id.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from gateway.store.db import Database
from gateway.store.events import store_reward_record
from gateway.upstreams.cardlytics.models import RewardFileRecord

__all__ = ["ImportSummary", "RewardFileUnreadable", "import_rewards", "read_reward_file"]

Progress = Callable[[int, int], None]


class RewardFileUnreadable(Exception):
    """The file as a whole cannot be read (missing, not JSON)."""


@dataclass
class ImportSummary:
    new: int = 0
    duplicate: int = 0
    rejected: list[str] = field(default_factory=list)  # "record 3: rewardAmount: ..."

    def line(self) -> str:
        return f"{self.new} new, {self.duplicate} duplicate, {len(self.rejected)} rejected"


def read_reward_file(path: Path) -> list[Any]:
    """The file's records, in order; anything that is not an object is rejected later."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise RewardFileUnreadable(f"cannot read {path}: {type(error).__name__}") from None
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        return _json_lines(text)
    return whole if isinstance(whole, list) else [whole]


def _json_lines(text: str) -> list[Any]:
    records: list[Any] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            raise RewardFileUnreadable(
                f"line {number} is not JSON (expected a JSON object, array or JSON Lines)"
            ) from None
    return records


async def import_rewards(
    database: Database, records: Iterable[Any], progress: Progress | None = None
) -> ImportSummary:
    items = list(records)
    summary = ImportSummary()
    for number, raw in enumerate(items, start=1):
        problem = await _import_one(database, raw, summary)
        if problem is not None:
            summary.rejected.append(f"record {number}: {problem}")
        if progress is not None:
            progress(number, len(items))
    return summary


async def _import_one(database: Database, raw: Any, summary: ImportSummary) -> str | None:
    if not isinstance(raw, dict):
        return "not a JSON object"
    try:
        record = RewardFileRecord.model_validate(raw)
    except ValidationError as error:
        first = error.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "record"
        return f"{where}: {first['msg']}"
    outcome = await store_reward_record(database, record, raw)
    if outcome.new:
        summary.new += 1
    else:
        summary.duplicate += 1
    return None
