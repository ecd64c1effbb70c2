"""The shared payload: one file holding a small JSON header and the audio (see PROTOCOL.md).

    b"SVX1" | u32 big-endian header length N | N bytes of UTF-8 JSON header | audio bytes

The header is built and parsed here, in Python; the audio never leaves its Blob (JS joins the
header bytes and the audio Blob, and slices the audio back out of a received Blob).
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass

from .memo import MAX_DESCRIPTION, MAX_TITLE, base_mime
from .sniff import SNIFF_BYTES, audio_type, same_container
from .strings import t

MAGIC = b"SVX1"
PREFIX = struct.Struct(">4sI")
MAX_HEADER = 64 * 1024
# The most of a payload's first bytes that opening it can need: prefix, header, audio magic.
HEAD_MAX = PREFIX.size + MAX_HEADER + SNIFF_BYTES
FORMAT_VERSION = 1
NAME = "memo.svx"  # neutral and constant: renaming a memo must not change what is seeded
# Torrent piece length; each piece is one AES-GCM record (web/js/crypto.js): 256 KiB pieces
# were twice as fast as 16 KiB ones between two browsers here.
PIECE_LENGTH = 256 * 1024


class BadPayload(ValueError):
    """A received file that is not a valid Seedvox memo; the message is for the user."""


@dataclass(frozen=True)
class Header:
    """The payload header that travels before the audio (see PROTOCOL.md)."""

    title: str
    description: str
    created: float
    duration: float
    mime: str
    audio_size: int

    def to_json(self) -> dict:
        return {
            "v": FORMAT_VERSION,
            "title": self.title,
            "description": self.description,
            "created": self.created,
            "duration": self.duration,
            "mime": self.mime,
            "audioSize": self.audio_size,
        }


def encode(header: Header) -> bytes:
    """Magic, length and header: the bytes that go before the audio."""
    body = json.dumps(header.to_json(), ensure_ascii=False, separators=(",", ":")).encode()
    if len(body) > MAX_HEADER:
        raise BadPayload("The memo's title and description are too long to share.")
    return PREFIX.pack(MAGIC, len(body)) + body


def header_length(prefix: bytes) -> int:
    """From the first 8 bytes: the header's length. Raises BadPayload."""
    if len(prefix) < PREFIX.size:
        raise BadPayload("The received file is too short to be a Seedvox memo.")
    magic, length = PREFIX.unpack(prefix[: PREFIX.size])
    if magic != MAGIC:
        raise BadPayload("The received file is not a Seedvox memo.")
    if not 2 <= length <= MAX_HEADER:
        raise BadPayload("The received memo has a damaged header.")
    return length


def decode(head: bytes, total_size: int) -> tuple[Header, int]:
    """Parse the header from the payload's first bytes; returns it and the audio's offset."""
    length = header_length(head)
    end = PREFIX.size + length
    if len(head) < end:
        raise BadPayload("The received memo has a damaged header.")
    try:
        data = json.loads(head[PREFIX.size : end].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadPayload("The received memo has a damaged header.") from None
    if not isinstance(data, dict) or data.get("v") != FORMAT_VERSION:
        raise BadPayload("The memo was shared by a version of Seedvox this one cannot read.")
    header = _validated(data)
    if end + header.audio_size != total_size:
        raise BadPayload("The received memo is incomplete or has extra data.")
    return header, end


def head_needed(head: bytes) -> int:
    """How many of the payload's first bytes `open_head` needs, from at least its first 8."""
    return PREFIX.size + header_length(head) + SNIFF_BYTES


def open_head(head: bytes, total_size: int) -> tuple[Header, int]:
    """Header and audio offset of a payload of `total_size` bytes from its first `head_needed`
    bytes (fewer only when the payload is shorter): the header must be valid and the audio's
    own magic bytes must fit its claimed type. Raises BadPayload."""
    header, offset = decode(head, total_size)
    sniffed = audio_type(head[offset : offset + SNIFF_BYTES])
    if sniffed is None or not same_container(header.mime, sniffed):
        raise BadPayload(t("fetch.not_audio"))
    return header, offset


def _validated(data: dict) -> Header:
    def text(key: str, limit: int) -> str:
        value = data.get(key, "")
        if not isinstance(value, str):
            raise BadPayload("The received memo has a damaged header.")
        return value[:limit]

    def number(key: str) -> float:
        value = data.get(key)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise BadPayload("The received memo has a damaged header.")
        if value < 0:
            raise BadPayload("The received memo has a damaged header.")
        return float(value)

    mime = text("mime", 100)
    if not base_mime(mime).startswith("audio/"):
        raise BadPayload("The received file is not audio.")
    size = number("audioSize")
    if size <= 0 or size != int(size):
        raise BadPayload("The received memo holds no audio.")
    return Header(
        title=text("title", MAX_TITLE),
        description=text("description", MAX_DESCRIPTION),
        created=number("created"),
        duration=number("duration"),
        mime=mime,
        audio_size=int(size),
    )
