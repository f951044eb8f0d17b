"""The response types (A5-A7) as data, and the two XSDs served from them.

``render.py`` walks the same ``ComplexType`` definitions, so the XML and JSON the simulator sends
follow the served schema's element order and nillability by construction.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import cache

__all__ = [
    "ENUMS",
    "PARTIAL_REFUND_DATA",
    "TICKET_COMMENT_DATA",
    "TICKET_DATA",
    "ComplexType",
    "Field",
    "partial_refund_schema",
    "ticket_schema",
    "xml_document",
]

XS = "http://www.w3.org/2001/XMLSchema"
CB = "http://www.clickbank.com/api"  # declared on the schema root, as ClickBank's XSDs do

ET.register_namespace("xs", XS)


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # an xs: type, a simple type in ENUMS, or the name of ``complex``
    nillable: bool = True
    required: bool = False  # minOccurs="1" (only ``ticketid``)
    repeated: bool = False  # maxOccurs="unbounded", no wrapper element
    complex: ComplexType | None = None


@dataclass(frozen=True)
class ComplexType:
    name: str
    fields: tuple[Field, ...]


TICKET_COMMENT_DATA = ComplexType(
    "ticketCommentData",
    (
        Field("commentId", "xs:int", nillable=False),
        Field("date", "xs:dateTime"),
        Field("comment", "xs:string"),
        Field("action", "ticketActionType"),
        Field("commentRole", "role"),
    ),
)

TICKET_DATA = ComplexType(
    "ticketData",
    (
        Field("ticketid", "xs:int", required=True),
        Field("receipt", "xs:string"),
        Field("status", "status"),
        Field("type", "ticketType"),
        Field("comments", "ticketCommentData", repeated=True, complex=TICKET_COMMENT_DATA),
        Field("openedDate", "xs:dateTime"),
        Field("closedDate", "xs:dateTime"),
        Field("description", "xs:string"),
        Field("refundType", "refundType"),
        Field("refundAmount", "xs:decimal"),
        Field("customerFirstName", "xs:string"),
        Field("customerLastName", "xs:string"),
        Field("email", "xs:string"),
        Field("emailAtOrderTime", "xs:string"),
        Field("expirationDate", "xs:dateTime"),
        Field("locale", "xs:string"),
        Field("note", "xs:string"),
        Field("productItemNo", "xs:string"),
        Field("updateTime", "xs:dateTime"),
        Field("source", "ticketSource"),
    ),
)

PARTIAL_REFUND_DATA = ComplexType(
    "partialRefundData",
    (
        Field("usdAmount", "xs:decimal", nillable=False),
        Field("customerAmount", "xs:decimal", nillable=False),
        Field("customerCurrency", "xs:string", nillable=False),
        Field("productAmount", "xs:decimal", nillable=False),
        Field("productCurrency", "xs:string", nillable=False),
    ),
)

# The response enums in full (A6), including values this simulator never sends.
ENUMS: dict[str, tuple[str, ...]] = {
    "status": ("OPEN", "REOPENED", "CLOSED"),
    "ticketType": (
        "TECH_SUPPORT", "REFUND", "CANCEL", "PRODUCT_CHANGE", "ORDER_LOOKUP", "ESCALATED",
        "APPROVAL_IMAGE", "APPROVAL_UPSELL", "APPROVAL_CATEGORY_CHANGE", "APPROVAL_PRODUCT",
        "APPROVAL_ADVANCED_UPSELL", "APPROVAL_CSS_ORDERFORM", "APPROVAL_TEMPLATE_ORDERFORM",
        "APPROVAL_TEMPLATE_EXITOFFER", "APPROVAL_ORDER_BUMP_CUSTOM_TEXT", "APPROVAL_EXIT_OFFER",
        "APPROVAL_PHOTO_ID", "ACCT_QUESTION_ACCOUNTS", "ACCT_QUESTION_ACCOUNTING", "SPAM",
        "ACCOUNT_ABUSE", "SECURITY_CONCERN",
    ),
    "ticketActionType": (
        "ASSIGNED", "COMMENTED", "CHANGED", "CLOSED", "EXPIRED", "REOPENED", "OPENED",
        "APPROVED", "DISAPPROVED", "ATTACHMENT", "ADMIN_CHANGE", "REFUND_ACKED", "NEW_PHOTO_ID",
    ),
    "role": ("VENDOR", "CUSTOMER", "CBCSR", "CBSYSTEM", "USER"),
    "refundType": ("FULL", "PARTIAL_PERCENT", "PARTIAL_AMOUNT", "PARTIAL_QUANTITY", "TAX"),
    "ticketSource": (
        "API", "CUSTOMER_WAM", "UNKNOWN", "RNFDS_EMAIL", "CNCLS_EMAIL", "VENDOR_WAM",
        "VENDOR_ADMIN", "CSR_ADMIN", "SECURITY", "CSR_WAM", "CONVERSION_PROCESS",
        "BUSINESS_DEVELOPMENT_FORM", "COMMUNICATIONS_EMAIL", "ACCOUNTS_EMAIL", "CBCS_EMAIL",
        "ACCOUNTING_EMAIL", "WAM_ACCT_QUESTION", "WAM_WIREGROUP_DETAIL", "MARKETING_EMAIL",
        "PAYMENTECH_BATCH", "PYPL_JPY_CANCELLER", "ECUSTOMS", "LASHBACK", "SPAM_EMAIL",
        "CLICKBANK_DATABASE_SCRIPT", "API_VIRTUAL_SOURCE", "KOUNT", "PAYPAL_ADAPTIVE",
        "CB_POWERED_PROGRAM", "CLKBANK",
    ),
}  # fmt: skip


@cache
def ticket_schema() -> bytes:
    """The XSD at ``/tickets/schema``: TicketData and TicketCommentData."""
    return _schema((TICKET_COMMENT_DATA, TICKET_DATA))


@cache
def partial_refund_schema() -> bytes:
    """The XSD at ``/tickets/partialRefundDataSchema``."""
    return _schema((PARTIAL_REFUND_DATA,))


def _schema(roots: tuple[ComplexType, ...]) -> bytes:
    schema = ET.Element(f"{{{XS}}}schema", {"version": "1.0", "xmlns:cb": CB})
    for root in roots:
        ET.SubElement(schema, f"{{{XS}}}element", name=root.name, type=root.name)
    for complex_type in roots:
        _complex_type(schema, complex_type)
    used = {f.type for t in roots for f in t.fields}
    for name, values in ENUMS.items():
        if name in used:
            simple = ET.SubElement(schema, f"{{{XS}}}simpleType", name=name)
            restriction = ET.SubElement(simple, f"{{{XS}}}restriction", base="xs:string")
            for value in values:
                ET.SubElement(restriction, f"{{{XS}}}enumeration", value=value)
    ET.indent(schema, space="  ")
    return xml_document(schema)


def _complex_type(schema: ET.Element, complex_type: ComplexType) -> None:
    node = ET.SubElement(schema, f"{{{XS}}}complexType", name=complex_type.name)
    sequence = ET.SubElement(node, f"{{{XS}}}sequence")
    for field in complex_type.fields:
        attributes = {"name": field.name, "type": field.type}
        if field.nillable:
            attributes["nillable"] = "true"
        if not field.required:
            attributes["minOccurs"] = "0"
        if field.repeated:
            attributes["maxOccurs"] = "unbounded"
        ET.SubElement(sequence, f"{{{XS}}}element", attributes)


def xml_document(root: ET.Element) -> bytes:
    """``root`` with the XML declaration JAXB writes."""
    declaration = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    return declaration + ET.tostring(root, encoding="unicode").encode()
