"""Readers for the two output formats, down to plain dicts of strings (upstreams.md A8).

JSON is Jersey's "mapped" notation: every scalar is a string, a nil is ``{"@nil":"true"}``, a
one-item list arrives as the bare item, and an empty list as ``{}``, ``null`` or nothing at all.
XML is JAXB output: ``ticketData`` elements under some root, nils marked ``xsi:nil="true"``.
Both readers produce the same shape, so the models never know which format was on the wire:
scalars are ``str``, nils are ``None``, nested elements are dicts, repeated ones lists.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any, TypeAlias, cast
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
import orjson
from defusedxml import DefusedXmlException

__all__ = [
    "WireError",
    "WireObject",
    "WireValue",
    "as_list",
    "read_count",
    "read_object",
    "read_schema",
    "read_ticket_list",
]

WireValue: TypeAlias = "str | WireObject | list[WireValue] | None"
WireObject: TypeAlias = dict[str, WireValue]

TICKET = "ticketData"
_LIST_ROOTS = ("ticketDatas", "ticketList", "tickets")  # Jersey's plural root and likely others
_XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"


class WireError(ValueError):
    """A body that is not what the format promises. Messages never quote the body."""


# --- entry points -------------------------------------------------------------------------


# A single object (a ticket, a refund preview): bare, or inside a lone ``root`` key.
def read_object(body: bytes, *, xml: bool, root: str) -> WireObject:
    document = _xml_object(_xml_root(body)) if xml else _json(body)
    if isinstance(document, dict) and set(document) == {root}:
        document = _single(document[root])  # tolerate {"ticketData": {...}} (A8 #5)
    if not isinstance(document, dict):
        raise WireError(f"expected a {root} object")
    return document


# The tickets of a list page, whichever way an empty or one-item list is written.
def read_ticket_list(body: bytes, *, xml: bool) -> list[WireObject]:
    if xml:
        return _xml_tickets(body)
    document = _json(body)
    if isinstance(document, dict) and len(document) == 1 and next(iter(document)) in _LIST_ROOTS:
        document = next(iter(document.values()))  # a rooted list: {"ticketDatas": {...}}
    if document is None or document == {} or document == "":
        return []
    if isinstance(document, list):
        return [_as_object(item) for item in document]
    if isinstance(document, dict) and TICKET in document:
        return [_as_object(item) for item in as_list(document[TICKET])]
    if isinstance(document, dict) and "ticketid" in document:
        return [document]  # a lone ticket sent without the list wrapper
    raise WireError("expected a ticketData list")


# A count written as ``12``, ``"12"``, ``{"count":"12"}`` or ``<count>12</count>``.
def read_count(body: bytes) -> int:
    text = body.decode("utf-8", errors="replace").strip()
    if text.startswith("<"):
        value: WireValue = "".join(_xml_root(body).itertext()).strip()
    else:
        value = _json(body)
    while isinstance(value, dict) and len(value) == 1:
        value = next(iter(value.values()))
    if isinstance(value, str) and value.isdigit() and value.isascii():
        return int(value)
    raise WireError("expected a count")


# An XML Schema document: checked well-formed and rooted at ``xs:schema``.
def read_schema(body: bytes) -> Element:
    root = _xml_root(body)
    if _local(root.tag) != "schema":
        raise WireError("expected an XML Schema")
    return root


# A list as Jersey writes it: absent or empty is no items, a bare object is one item.
def as_list(value: WireValue) -> list[WireValue]:
    if value is None or value == {} or value == "":
        return []
    if isinstance(value, list):
        return value
    return [value]


# --- JSON ---------------------------------------------------------------------------------


def _json(body: bytes) -> WireValue:
    if not body.strip():
        return None
    # orjson parses a list page in half the time and leaves each value in the plain Python
    # classes _plain() expects; a body it refuses, or one holding a number with a fraction
    # (a float to orjson: money must never pass through one), is read the exact way instead.
    try:
        return _plain(orjson.loads(body))
    except (orjson.JSONDecodeError, _Inexact):
        return _exact_json(body)


def _exact_json(body: bytes) -> WireValue:
    try:
        # parse_float=Decimal: money must never pass through a float, even if a number slips in
        raw = json.loads(body, parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WireError("body is not JSON") from exc
    return _normalise(raw)


class _Inexact(Exception):
    """orjson read a number as a float: the body is read again with Decimals."""


# Jersey's nil as the simulator and the document write it; other spellings take _is_nil.
_NIL = {"@nil": "true"}


def _plain(raw: Any) -> WireValue:
    """``_normalise`` for orjson's output, the common shapes first: strings, nils, and objects
    with neither attributes nor text nodes. Any other object goes the general way.

    orjson's objects and lists are this call's own, so they are changed in place: no second
    set of containers, which would be garbage (and work for the collector) at once."""
    if raw is None or isinstance(raw, str):
        return raw
    kind = raw.__class__
    if kind is dict:
        if raw == _NIL:
            return None
        # One look at all the keys at once: an "@" anywhere in them sends the object the
        # general way, which drops the attributes (a key merely containing "@" is kept there).
        if "$" in raw or "@" in "".join(raw):
            return _plain_object(raw)
        for key, value in raw.items():
            if value.__class__ is not str:
                raw[key] = _plain(value)  # a new value for a key: the dict keeps its size
        return cast(WireObject, raw)
    if kind is list:
        for index, item in enumerate(raw):
            if item.__class__ is not str:
                raw[index] = _plain(item)
        return cast(list[WireValue], raw)
    if kind is float:
        raise _Inexact  # the body is read again: what was changed in place is dropped
    return _normalise(raw)  # bool, int: no float below them


def _plain_object(raw: dict[str, Any]) -> WireValue:
    if _is_nil(raw):
        return None
    if "$" in raw:
        return _plain(raw["$"])
    return {key: _plain(value) for key, value in raw.items() if not key.startswith("@")}


def _normalise(raw: Any) -> WireValue:
    if raw is None or isinstance(raw, str):
        return raw
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, int | Decimal):
        return str(raw)
    if isinstance(raw, list):
        return [_normalise(item) for item in raw]
    if isinstance(raw, dict):
        return _normalise_object(raw)
    raise WireError(f"unexpected JSON value of type {type(raw).__name__}")


def _normalise_object(raw: dict[str, Any]) -> WireValue:
    if _is_nil(raw):
        return None
    if "$" in raw:  # a text node that also carried attributes: {"@attr": "...", "$": "text"}
        return _normalise(raw["$"])
    # other "@" keys are XML attributes (namespaces and the like), not fields
    return {key: _normalise(value) for key, value in raw.items() if not key.startswith("@")}


def _is_nil(raw: dict[str, Any]) -> bool:
    # "@nil", "@xsi.nil", "@xsi:nil" all occur depending on the Jersey notation settings
    return any(
        key.startswith("@")
        and re.split(r"[:.]", key[1:])[-1] == "nil"
        and str(value).lower() == "true"
        for key, value in raw.items()
    )


def _single(value: WireValue) -> WireValue:
    items = as_list(value)
    return items[0] if len(items) == 1 else value


def _as_object(value: WireValue) -> WireObject:
    if not isinstance(value, dict):
        raise WireError("expected a ticketData object")
    return value


# --- XML ----------------------------------------------------------------------------------


def _xml_root(body: bytes) -> Element:
    try:
        root: Element = SafeET.fromstring(body)
    except (SafeET.ParseError, DefusedXmlException) as exc:
        raise WireError("body is not well-formed XML") from exc
    return root


def _xml_tickets(body: bytes) -> list[WireObject]:
    if not body.strip():
        return []
    root = _xml_root(body)
    if _local(root.tag) == TICKET:
        return [_xml_object(root)]
    return [_xml_object(element) for element in root.iter() if _local(element.tag) == TICKET]


def _xml_object(element: Element) -> WireObject:
    result: WireObject = {}
    for child in element:
        name = _local(child.tag)
        value = _xml_value(child)
        if name not in result:
            result[name] = value
            continue
        previous = result[name]  # a repeated element (comments): collect into a list
        if isinstance(previous, list):
            previous.append(value)
        else:
            result[name] = [previous, value]
    return result


def _xml_value(element: Element) -> WireValue:
    if element.get(_XSI_NIL, "").lower() == "true":
        return None
    if len(element):
        return _xml_object(element)
    return element.text or ""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]
