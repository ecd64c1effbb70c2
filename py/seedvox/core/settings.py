"""User settings: trackers, STUN/TURN servers and the size limit, parsed and validated here."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TRACKER = re.compile(r"^wss?://[^\s/?#]+(:\d{1,5})?(/[^\s]*)?$", re.IGNORECASE)
_ICE = re.compile(r"^(stun|turns?):[^\s]+$", re.IGNORECASE)
MAX_ENTRIES = 20

DEFAULT_MAX_BYTES = 200_000_000  # what a receiver accepts unless its settings say otherwise


class BadSetting(ValueError):
    """Input the user must correct; the message says what is wrong."""


@dataclass(frozen=True)
class Settings:
    """The network settings: trackers, STUN/TURN servers and the receive size limit."""

    trackers: list[str] = field(default_factory=list)
    ice_servers: list[dict] = field(default_factory=list)
    max_bytes: int = DEFAULT_MAX_BYTES

    def to_record(self) -> dict:
        return {
            "trackers": self.trackers,
            "iceServers": self.ice_servers,
            "maxBytes": self.max_bytes,
        }

    @classmethod
    def from_record(cls, record: dict | None, defaults: Settings) -> Settings:
        record = record or {}
        return cls(
            trackers=list(record.get("trackers") or defaults.trackers),
            ice_servers=list(record["iceServers"])
            if "iceServers" in record
            else defaults.ice_servers,
            max_bytes=int(record.get("maxBytes") or defaults.max_bytes),
        )


def parse_trackers(text: str) -> list[str]:
    """One WebSocket tracker URL per line; at least one."""
    urls = [line.strip() for line in text.splitlines() if line.strip()]
    if not urls:
        raise BadSetting("Give at least one tracker (a wss:// address).")
    if len(urls) > MAX_ENTRIES:
        raise BadSetting(f"Give at most {MAX_ENTRIES} trackers.")
    for url in urls:
        if not _TRACKER.match(url):
            raise BadSetting(f"Not a WebSocket tracker address (wss://…): {url[:80]}")
    return urls


def parse_ice_servers(text: str) -> list[dict]:
    """One server per line: `stun:host:port`, or `turn:host:port username credential`."""
    servers: list[dict] = []
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        url = parts[0]
        if not _ICE.match(url):
            raise BadSetting(f"Not a STUN or TURN address (stun:… or turn:…): {url[:80]}")
        server: dict = {"urls": url}
        if url.lower().startswith("turn"):
            if len(parts) != 3:
                raise BadSetting(f"A TURN server needs a username and a credential: {url[:80]}")
            server.update(username=parts[1], credential=parts[2])
        elif len(parts) != 1:
            raise BadSetting(f"A STUN server takes no username: {url[:80]}")
        servers.append(server)
    if len(servers) > MAX_ENTRIES:
        raise BadSetting(f"Give at most {MAX_ENTRIES} servers.")
    return servers


def format_ice_servers(servers: list[dict]) -> str:
    lines = []
    for server in servers:
        urls = server.get("urls")
        for url in urls if isinstance(urls, list) else [urls]:
            extra = [server[k] for k in ("username", "credential") if server.get(k)]
            lines.append(" ".join([str(url), *extra]))
    return "\n".join(lines)


def parse_max_megabytes(text: str) -> int:
    try:
        megabytes = float(text)
    except ValueError:
        raise BadSetting("The size limit must be a number of megabytes.") from None
    if not 1 <= megabytes <= 2000:
        raise BadSetting("The size limit must be between 1 and 2000 MB.")
    return int(megabytes * 1_000_000)
