"""The committed SDL is the schema the code serves, and schema changes that break clients show."""

from __future__ import annotations

from pathlib import Path

from gateway.cli import main
from schema import schema
from schema.evolution import breaking_changes

SCHEMA_FILE = Path(__file__).parents[2] / "schema" / "schema.graphql"


def test_committed_schema_matches_the_code() -> None:
    exported = schema.as_str() + "\n"
    assert SCHEMA_FILE.read_text() == exported, (
        "schema/schema.graphql is stale: run `make schema` and commit it"
    )


def test_export_command_writes_the_same_sdl(tmp_path: Path) -> None:
    target = tmp_path / "schema.graphql"
    assert main(["schema", "export", "--output", str(target)]) == 0
    assert target.read_text() == SCHEMA_FILE.read_text()


def test_removing_a_field_or_type_is_flagged_as_breaking() -> None:
    old = "type Query { a: String! b: Int }\ntype Thing { x: ID! }\nunion U = Thing"
    new = "type Query { a: String }\nunion U = Query"
    changes = breaking_changes(old, new)
    assert any("Query.b was removed" in change for change in changes)
    assert any("Thing was removed" in change for change in changes)
    assert any("Query.a changed type from String! to String" in change for change in changes)


def test_adding_an_optional_field_is_not_breaking() -> None:
    old = SCHEMA_FILE.read_text()
    new = old.replace("type Query {", "type Query {\n  newField: String", 1)
    assert new != old
    assert breaking_changes(old, new) == []
