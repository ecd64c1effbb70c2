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


WEBM_START = bytes.fromhex("1a45dfa3") + bytes(12)
PNG_START = b"\x89PNG\r\n\x1a\n" + bytes(8)


def test_a_payload_opens_from_its_first_bytes():
    head = payload.encode(HEADER) + WEBM_START
    assert payload.head_needed(head[:8]) == len(head)
    parsed, offset = payload.open_head(head, len(head) - len(WEBM_START) + 1000)
    assert (parsed, offset) == (HEADER, len(head) - len(WEBM_START))


@pytest.mark.parametrize(
    ("mime", "audio"),
    [
        ("audio/webm;codecs=opus", PNG_START),  # the claimed type is not what the bytes are
        ("audio/mp4", WEBM_START),
        ("audio/webm", b""),  # the audio's first bytes are missing
    ],
)
def test_audio_whose_bytes_are_not_its_type_does_not_open(mime, audio):
    head = payload.encode(Header("x", "", 0, 1, mime, 1000)) + audio
    with pytest.raises(BadPayload, match="not audio"):
        payload.open_head(head, len(head) - len(audio) + 1000)


def test_the_bytes_needed_come_from_the_prefix_alone():
    with pytest.raises(BadPayload):
        payload.head_needed(b"RIFF\x00\x00\x00\x10")
    assert payload.head_needed(struct.pack(">4sI", b"SVX1", 500)) == 8 + 500 + 16
    largest = struct.pack(">4sI", b"SVX1", payload.MAX_HEADER)
    assert payload.head_needed(largest) == payload.HEAD_MAX
