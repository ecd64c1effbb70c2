"""Share links. Everything after '#' stays in the browser: no server, not even the static host,
ever sees which memo is shared (see PROTOCOL.md).

    https://host/any/sub/path/#/get/<infohash>

`infohash` is the 40-hex-digit BitTorrent v1 info hash of the shared payload.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

INFOHASH = re.compile(r"^[0-9a-f]{40}$")
MAX_FRAGMENT = 512  # a real link is ~50 characters; refuse anything absurd before parsing


class BadLink(ValueError):
    """A link that cannot be a Seedvox share; the message says why, for the user."""


@dataclass(frozen=True)
class ShareLink:
    infohash: str

    @property
    def fragment(self) -> str:
        return f"#/get/{self.infohash}"

    def url(self, page_url: str) -> str:
        """The link for the app at `page_url` (any sub-path; query and fragment dropped)."""
        base = page_url.split("#", 1)[0].split("?", 1)[0]
        return base + self.fragment


def parse_fragment(fragment: str) -> ShareLink:
    """The share in a location.hash like '#/get/<infohash>'; raises BadLink."""
    if len(fragment) > MAX_FRAGMENT:
        raise BadLink("The link is too long to be a Seedvox link.")
    path = fragment.removeprefix("#").strip("/")
    parts = path.split("/")
    if len(parts) < 2 or parts[0] != "get":
        raise BadLink("This is not a Seedvox share link.")
    if len(parts) > 2:
        raise BadLink("This share link has parts this version of Seedvox does not understand.")
    infohash = parts[1].lower()
    if not INFOHASH.match(infohash):
        raise BadLink("The share link is damaged: its memo identifier is incomplete or invalid.")
    return ShareLink(infohash)


def parse_url(url: str) -> ShareLink:
    """Accept a whole pasted link (or just its fragment)."""
    _, sep, fragment = url.strip().partition("#")
    if not sep:
        raise BadLink("This is not a Seedvox share link.")
    return parse_fragment("#" + fragment)
