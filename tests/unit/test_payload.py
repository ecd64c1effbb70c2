import json
import struct

import pytest

from seedvox.core import payload
from seedvox.core.payload import BadPayload, Header

HEADER = Header("Idea ✨", "notes", 1_795_000_000_000.0, 3.25, "audio/webm;codecs=opus", 1000)


def test_round_trip():
    head = payload.encode(HEADER)
    parsed, offset = payload.decode(head, len(head) + 1000)
    assert parsed == HEADER
    assert offset == len(head)
    assert payload.header_length(head[:8]) == len(head) - 8


def raw(data: dict, magic: bytes = b"SVX1") -> bytes:
    body = json.dumps(data).encode()
    return struct.pack(">4sI", magic, len(body)) + body


GOOD = HEADER.to_json()


@pytest.mark.parametrize(
    ("head", "total"),
    [
        (b"SVX", 10),
        (raw(GOOD, magic=b"RIFF"), 10_000),
        (struct.pack(">4sI", b"SVX1", 10**9), 10_000),
        (raw(GOOD)[:-3], 10_000),
        (struct.pack(">4sI", b"SVX1", 4) + b"\xff\xfe\x00\x01", 10_000),
        (raw({**GOOD, "v": 2}), 10_000),
        (raw([1, 2]), 10_000),
        (raw({**GOOD, "mime": "text/html"}), 10_000),
        (raw({**GOOD, "audioSize": 0}), 10_000),
        (raw({**GOOD, "audioSize": -5}), 10_000),
        (raw({**GOOD, "duration": "NaN"}), 10_000),
        (raw({**GOOD, "title": ["x"]}), 10_000),
        (raw({**GOOD, "created": True}), 10_000),
        (raw(GOOD), 10),  # declared audio size does not match the file
    ],
)
def test_bad_payloads_are_refused(head, total):
    with pytest.raises(BadPayload):
        payload.decode(head, total)


def test_long_fields_are_truncated_not_trusted():
    head = raw({**GOOD, "title": "t" * 10_000})
    parsed, _ = payload.decode(head, len(head) + 1000)
    assert len(parsed.title) == payload.MAX_TITLE


def test_oversized_header_is_refused_when_encoding():
    with pytest.raises(BadPayload):
        payload.encode(Header("x", "d" * 70_000, 0, 1, "audio/webm", 1))
