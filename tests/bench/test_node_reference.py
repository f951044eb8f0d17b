"""The Node reference's parts that need no npm: its OpenAPI description matches the sandbox's
routes and answers, its home document asks for the home screen's data through fields the
description has, the table's rows for it, and a clear failure without node."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from graphql import FieldNode, OperationDefinitionNode, parse, value_from_ast_untyped

from bench import node_reference
from bench.measure import Result
from bench.operations import HOME_ADS_QUERY
from bench.report import Report
from gateway.sandbox.cardlytics import ads, profile

OPENAPI = json.loads((node_reference.NODE_DIR / "openapi.json").read_text())
SCHEMAS: dict[str, Any] = OPENAPI["components"]["schemas"]
HOME_CALLS = {
    ("POST", "/v2/ads/getAds"): "getAds",
    ("GET", "/v2/customerProfile/getCustomerRewardSummary"): "getCustomerRewardSummary",
    ("GET", "/v2/customerProfile/getCustomerProfile"): "getCustomerProfile",
}


def _operations() -> dict[tuple[str, str], str]:
    return {
        (method.upper(), path): operation["operationId"]
        for path, methods in OPENAPI["paths"].items()
        for method, operation in methods.items()
    }


def _schema(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SCHEMAS[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _answer_schema(operation_id: str) -> dict[str, Any]:
    for methods in OPENAPI["paths"].values():
        for operation in methods.values():
            if operation["operationId"] == operation_id:
                content = operation["responses"]["200"]["content"]["application/json"]
                return _schema(content["schema"])
    raise AssertionError(f"no operation {operation_id}")


def _check_selection(field: FieldNode, schema: dict[str, Any], path: str) -> None:
    """Every field the document selects is in the schema; a map (omnigraph's
    ``additionalProperties { key value }``) is entered through its values' schema."""
    schema = _schema(schema)
    if schema.get("type") == "array":
        schema = _schema(schema["items"])
    if field.selection_set is None:
        return
    for selection in field.selection_set.selections:
        if not isinstance(selection, FieldNode):
            continue  # the fragments are checked where they are spread: none in the selections
        name, where = selection.name.value, f"{path}.{selection.name.value}"
        if name == "additionalProperties":
            entry = _schema(schema["additionalProperties"])
            assert selection.selection_set is not None
            for part in selection.selection_set.selections:
                assert isinstance(part, FieldNode) and part.name.value in {"key", "value"}, where
                if part.name.value == "value":
                    _check_selection(part, entry, where)
        else:
            assert name in schema.get("properties", {}), f"{where} is not in openapi.json"
            _check_selection(selection, schema["properties"][name], where)


def _home_fields() -> dict[str, FieldNode]:
    document = parse(node_reference.HOME_DOCUMENT.read_text())
    query = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    return {f.name.value: f for f in query.selection_set.selections if isinstance(f, FieldNode)}


def test_the_description_has_exactly_the_home_screens_calls_at_the_sandboxs_routes() -> None:
    # given the sandbox's routes for offers and the profile
    routes = {
        (method, route.path)
        for router in (ads.router, profile.router)
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }

    # then the three calls of the passthrough's home screen are there, under those paths
    assert _operations() == HOME_CALLS
    assert set(HOME_CALLS) <= routes


def test_the_getads_request_schema_takes_the_benchs_home_filter() -> None:
    request = _schema(
        OPENAPI["paths"]["/v2/ads/getAds"]["post"]["requestBody"]["content"]["application/json"][
            "schema"
        ]
    )
    assert set(HOME_ADS_QUERY) <= set(request["properties"])


def test_the_home_document_makes_the_three_calls_with_the_home_filter() -> None:
    fields = _home_fields()

    assert set(fields) == set(HOME_CALLS.values())
    arguments = {a.name.value: a.value for a in fields["getAds"].arguments or ()}
    assert value_from_ast_untyped(arguments["input"]) == HOME_ADS_QUERY


@pytest.mark.parametrize("operation", sorted(HOME_CALLS.values()))
def test_every_field_the_home_document_asks_for_is_typed_in_the_description(
    operation: str,
) -> None:
    document = node_reference.HOME_DOCUMENT.read_text()
    fragments = parse(document).definitions[1:]
    field = _home_fields()[operation]

    _check_selection(field, _answer_schema(operation), operation)
    # the one fragment is on the summary's totals: its fields are the totals' properties
    assert len(fragments) == 1
    totals = SCHEMAS["RewardTotals"]["properties"]
    assert {"redemptionCount", "totalRewardAmount"} <= set(totals)


def test_the_offer_cards_fields_are_asked_for() -> None:
    # the card's fields (operations/home.graphql OfferCard) under their upstream names
    value = _find(_home_fields()["getAds"], "ads", "additionalProperties", "value")
    assert value.selection_set is not None
    asked = {f.name.value for f in value.selection_set.selections if isinstance(f, FieldNode)}

    assert asked >= {
        "merchantName",
        "activationState",
        "visibilityState",
        "redemptionState",
        "endDate",
        "sections",
        "reward",
        "assets",
    }


def _find(field: FieldNode, *names: str) -> FieldNode:
    for name in names:
        assert field.selection_set is not None
        field = next(
            f
            for f in field.selection_set.selections
            if isinstance(f, FieldNode) and f.name.value == name
        )
    return field


def _result(target: str, cpu_s: float) -> Result:
    return Result("home", target, 100, 0, 1.0, 10.0, 20.0, cpu_s, 100.0, 0.3)


def test_the_table_has_a_ratio_row_against_the_node_gateway() -> None:
    report = Report(settings="")
    report.results = [
        _result("gateway", 0.3),
        _result("pass-through", 0.15),
        _result("node-gateway", 1.2),
    ]

    table = "\n".join(report.table())

    assert "| home | node-gateway | 100 |" in table
    assert "| home | **gateway / pass-through** | 1.00x | 1.00x | 1.00x | | 2.00x |" in table
    assert "| home | **gateway / node-gateway** | 1.00x | 1.00x | 1.00x | | 0.25x |" in table


def test_without_node_on_path_prepare_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")

    with pytest.raises(node_reference.NodeReferenceError, match="needs node"):
        node_reference.prepare("http://127.0.0.1:9/cardlytics")


def test_a_failing_step_says_what_failed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # given an npm that fails, and no install yet
    npm = tmp_path / "npm"
    npm.write_text("#!/bin/sh\necho 'npm ERR! 404 no such package' >&2\nexit 1\n")
    node = tmp_path / "node"
    node.write_text("#!/bin/sh\nexit 0\n")
    for program in (npm, node):
        program.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    monkeypatch.setattr(node_reference, "_stale", lambda: True)

    with pytest.raises(node_reference.NodeReferenceError, match="npm ci failed") as failed:
        node_reference.prepare("http://127.0.0.1:9/cardlytics")
    assert "404 no such package" in str(failed.value)


def test_the_log_summary_reads_hive_gateways_colored_multiline_entries(tmp_path: Path) -> None:
    # given a log with the start-up lines (INF) and one error entry, colored as Hive logs them
    log = tmp_path / "node-gateway.log"
    log.write_text(
        "\x1b[90m2026-12-06T19:48:22.602Z\x1b[0m \x1b[32mINF\x1b[0m Starting Hive Gateway\n"
        "\x1b[90m2026-12-06T20:01:15.404Z\x1b[0m \x1b[31mERR\x1b[0m \n"
        '  message: "read ECONNRESET"\n'
    )

    summary = node_reference.log_summary(log)

    assert summary == 'node-gateway log: 2 lines at warn or above, e.g. message: "read ECONNRESET"'
    log.write_text(log.read_text().splitlines(keepends=True)[0])
    assert node_reference.log_summary(log) == "node-gateway log: nothing at warn or above."
