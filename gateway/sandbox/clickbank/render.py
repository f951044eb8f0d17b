"""Responses in ClickBank's two output forms, both driven by the XSD definitions in ``xsd.py``.

XML: JAXB style, elements in the schema's sequence order, ``xsi:nil="true"`` for nil values.
JSON: Jersey's "mapped" notation (A8): every scalar a string, nil as ``{"@nil":"true"}``, a
repeated element with one entry as a bare object, an empty one left out, a single ticket at the top
level and a list as ``{"ticketData": ...}`` (``{}`` when empty).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any, TypeAlias

from fastapi.responses import Response

from gateway.sandbox.clickbank.conventions import Format
from gateway.sandbox.clickbank.xsd import (
    PARTIAL_REFUND_DATA,
    TICKET_DATA,
    ComplexType,
    xml_document,
)

__all__ = [
    "Record",
    "count_response",
    "mapped_json",
    "partial_refund_response",
    "ticket_list_response",
    "ticket_response",
    "xml_element",
    "xsd_response",
]

XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSI_NIL = f"{{{XSI}}}nil"
LIST_ROOT = "ticketDatas"  # Jersey's default plural root for "List of TicketDatas" (A8#7)

ET.register_namespace("xsi", XSI)

# A value already formatted for the wire: text, nil, or the entries of a repeated element.
Record: TypeAlias = dict[str, "str | list[Record] | None"]


def mapped_json(complex_type: ComplexType, record: Record) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in complex_type.fields:
        if field.name not in record:
            continue
        value = record[field.name]
        if isinstance(value, list):
            assert field.complex is not None
            entries = [mapped_json(field.complex, entry) for entry in value]
            if entries:
                out[field.name] = entries[0] if len(entries) == 1 else entries
        elif value is None:
            if field.nillable:
                out[field.name] = {"@nil": "true"}
        else:
            out[field.name] = value
    return out


def xml_element(tag: str, complex_type: ComplexType, record: Record) -> ET.Element:
    element = ET.Element(tag)
    for field in complex_type.fields:
        if field.name not in record:
            continue
        value = record[field.name]
        if isinstance(value, list):
            assert field.complex is not None
            element.extend(xml_element(field.name, field.complex, entry) for entry in value)
        elif value is None:
            if field.nillable:
                ET.SubElement(element, field.name, {XSI_NIL: "true"})
        else:
            ET.SubElement(element, field.name).text = value
    return element


def ticket_response(record: Record, output: Format) -> Response:
    if output is Format.JSON:
        return _json(mapped_json(TICKET_DATA, record))
    return _xml(xml_element(TICKET_DATA.name, TICKET_DATA, record))


def ticket_list_response(records: list[Record], output: Format, status: int) -> Response:
    if output is Format.JSON:
        entries = [mapped_json(TICKET_DATA, record) for record in records]
        body: dict[str, Any] = {}
        if entries:
            body[TICKET_DATA.name] = entries[0] if len(entries) == 1 else entries
        return _json(body, status)
    root = ET.Element(LIST_ROOT)
    root.extend(xml_element(TICKET_DATA.name, TICKET_DATA, record) for record in records)
    return _xml(root, status)


def partial_refund_response(record: Record, output: Format) -> Response:
    if output is Format.JSON:
        return _json(mapped_json(PARTIAL_REFUND_DATA, record))
    return _xml(xml_element(PARTIAL_REFUND_DATA.name, PARTIAL_REFUND_DATA, record))


def count_response(count: int) -> Response:
    """A bare integer as text, whatever ``Accept`` says (A8#8)."""
    return Response(str(count), media_type="text/plain")


def xsd_response(schema: bytes) -> Response:
    return Response(schema, media_type=Format.XML.value)


def _json(body: dict[str, Any], status: int = 200) -> Response:
    content = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    return Response(content, status_code=status, media_type=Format.JSON.value)


def _xml(root: ET.Element, status: int = 200) -> Response:
    return Response(xml_document(root), status_code=status, media_type=Format.XML.value)
