"""The JSON reader's fast path (orjson) reads every body as the exact one (json + Decimal) does.

A list page is read with orjson and a walk that handles the common shapes inline; a body
orjson refuses or one with a number that has a fraction is read the exact way. These bodies
cover each branch: the answer (or the error) must be the same as the exact reader's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.upstreams.clickbank import wire

FIXTURES = Path(__file__).parents[1] / "fixtures" / "clickbank"
JSON_FIXTURES = sorted(p.name for p in FIXTURES.iterdir() if p.suffix == ".json")

BODIES = [
    b'{"ticketData":[{"ticketid":"1","closedDate":{"@nil":"true"}},{"ticketid":"2"}]}',
    b'{"ticketData":{"ticketid":"1","comments":{"commentId":"7","comment":"x"}}}',
    b'{"ticketid":"1","closedDate":{"@xsi:nil":"true"},"note":{"@xsi.nil":"TRUE"}}',
    b'{"ticketid":"1","note":{"@nil":"false"}}',  # not a nil: an object with no fields
    b'{"ticketid":"1","note":{"@lang":"en","$":"text with an attribute"}}',
    b'{"ticketid":"1","@xmlns:cb":"http://www.clickbank.com/api","receipt":"K8XQ2ZB7"}',
    b'{"ticketid":"1","odd@key":"kept","$":"a text node at the top"}',
    b'{"ticketid":4100001,"refundAmount":19.95,"retain":true,"flag":false}',  # numbers, bools
    b'{"ticketid":"1","refundAmount":1e2,"comments":[{"commentId":3}]}',
    b'{"ticketid":"1","refundAmount":{"@nil":"true","x":1.5}}',  # a float under a nil
    b'{"ticketid":"1","big":123456789012345678901234567890}',  # past orjson's 64 bits
    b'{"ticketid":"1","refundAmount":NaN}',  # only the exact reader takes NaN (then refuses)
    b'{"ticketid":"1","ticketid":"2"}',  # the last of a repeated key wins in both
    b'{"ticketDatas":{"ticketData":[{"ticketid":"1"}]}}',
    b"{}",
    b"null",
    b"[]",
    b"  ",
    b'"text"',
    b'{"ticketid":"1",}',  # not JSON
    b'\xef\xbb\xbf{"ticketid":"1"}',  # a byte order mark
    '{"ticketid":"1","note":"caf\u00e9 \U0001f600"}'.encode(),
    b'{"ticketid":"1","note":"\\ud800"}',  # a lone surrogate: only the exact reader takes it
    "\ufeff".encode("utf-16-le") + '{"ticketid":"1"}'.encode("utf-16-le"),
]


def _outcome(read: object, body: bytes) -> object:
    try:
        return ("value", read(body))  # type: ignore[operator]
    except wire.WireError as error:
        return ("error", str(error))


@pytest.mark.parametrize("body", BODIES + [(FIXTURES / n).read_bytes() for n in JSON_FIXTURES])
def test_fast_json_reads_as_the_exact_reader(body: bytes) -> None:
    assert _outcome(wire._json, body) == _outcome(_exact, body)


def _exact(body: bytes) -> object:
    return None if not body.strip() else wire._exact_json(body)


def test_a_fraction_is_read_as_its_decimal_text_not_a_float() -> None:
    # more digits than a float holds: through one it would come back as 20.0
    body = b'{"ticketData":{"ticketid":"1","refundAmount":19.999999999999999999}}'
    rows = wire.read_ticket_list(body, xml=False)
    assert rows == [{"ticketid": "1", "refundAmount": "19.999999999999999999"}]
