"""Share links. Everything after '#' stays in the browser: no server, not even the static host,
ever sees which memo is shared or the key that decrypts it (see PROTOCOL.md).

    https://host/any/sub/path/#/get/v1/<infohash>/<key>

`infohash` is the 40-hex-digit BitTorrent v1 info hash of the encrypted payload; `key` the
AES-256 key, 32 bytes in unpadded base64url (43 characters).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

VERSION = "v1"
INFOHASH = re.compile(r"^[0-9a-f]{40}$")
KEY_TEXT = re.compile(r"^[A-Za-z0-9_-]{43}$")
KEY_BYTES = 32
MAX_FRAGMENT = 512  # a real link's fragment is ~95 characters; refuse anything absurd early


class BadLink(ValueError):
    """A link that cannot be a Seedvox share; the message says why, for the user."""


@dataclass(frozen=True)
class ShareLink:
    """What a share link carries: the torrent's infohash and the payload's key."""

    infohash: str
    key: bytes

    @property
    def fragment(self) -> str:
        return f"#/get/{VERSION}/{self.infohash}/{encode_key(self.key)}"

    def url(self, page_url: str) -> str:
        """The link for the app at `page_url` (any sub-path; query and fragment dropped)."""
        base = page_url.split("#", 1)[0].split("?", 1)[0]
        return base + self.fragment


def encode_key(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).rstrip(b"=").decode("ascii")


def decode_key(text: str) -> bytes:
    if not KEY_TEXT.match(text):
        raise BadLink("The share link is damaged: its key is incomplete or invalid.")
    try:
        key = base64.urlsafe_b64decode(text + "=")
    except (binascii.Error, ValueError):
        raise BadLink("The share link is damaged: its key is incomplete or invalid.") from None
    if len(key) != KEY_BYTES or encode_key(key) != text:
        raise BadLink("The share link is damaged: its key is incomplete or invalid.")
    return key


def parse_fragment(fragment: str) -> ShareLink:
    """The share in a location.hash like '#/get/v1/<infohash>/<key>'; raises BadLink."""
    if len(fragment) > MAX_FRAGMENT:
        raise BadLink("The link is too long to be a Seedvox link.")
    if not fragment.isascii() or not fragment.isprintable():
        raise BadLink("The share link contains characters a Seedvox link never has.")
    parts = fragment.removeprefix("#").strip("/").split("/")
    if len(parts) < 2 or parts[0] != "get":
        raise BadLink("This is not a Seedvox share link.")
    version = parts[1]
    if not re.match(r"^v\d{1,3}$", version):
        raise BadLink("This share link is damaged or was made by an older test version.")
    if version != VERSION:
        raise BadLink("This share link was made by a newer version of Seedvox. Update and retry.")
    if len(parts) < 4 or not parts[3]:
        raise BadLink("The share link is incomplete: its key is missing.")
    if len(parts) > 4:
        raise BadLink("This share link has parts this version of Seedvox does not understand.")
    infohash = parts[2].lower()
    if not INFOHASH.match(infohash):
        raise BadLink("The share link is damaged: its memo identifier is incomplete or invalid.")
    return ShareLink(infohash, decode_key(parts[3]))


def parse_url(url: str) -> ShareLink:
    """Accept a whole pasted link (or just its fragment)."""
    _, sep, fragment = url.strip().partition("#")
    if not sep:
        raise BadLink("This is not a Seedvox share link.")
    return parse_fragment("#" + fragment)
