"""README promises that code keeps: the two-command quick start and every setting documented."""

from __future__ import annotations

import re
from pathlib import Path

from gateway.settings import SandboxSettings, Settings

README = (Path(__file__).parents[1] / "README.md").read_text()


def test_quick_start_is_exactly_the_two_make_commands() -> None:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None
    assert block.group(1).split("\n")[:-1] == ["make run", "make test"]
    assert "http://127.0.0.1:8000/graphql" in section


def test_every_setting_is_documented() -> None:
    names = [f"GATEWAY_{name.upper()}" for name in Settings.model_fields] + [
        f"GATEWAY_SANDBOX_{name.upper()}" for name in SandboxSettings.model_fields
    ]
    missing = [name for name in names if f"`{name}`" not in README]
    assert missing == []
