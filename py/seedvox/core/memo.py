"""The memo model: one record per memo in the `memos` store, its audio kept apart as a Blob."""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, replace
from typing import Any

from .format import date_label, file_stem
from .strings import t

# Extension per recorded container, for downloads and torrent file names. `.weba`, not `.webm`:
# browsers take a .webm file for video.
EXTENSIONS = {
    "audio/webm": ".weba",
    "audio/mp4": ".m4a",
    "audio/ogg": ".ogg",
    "audio/mpeg": ".mp3",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "audio/flac": ".flac",
}


# How long a deleted memo can be brought back with Undo before it is purged.
UNDO_WINDOW_MS = 10_000
MAX_TITLE = 200  # characters kept of a title, here and from a received payload
MAX_DESCRIPTION = 5000


def base_mime(mime: str) -> str:
    """audio/webm;codecs=opus -> audio/webm."""
    return mime.split(";", 1)[0].strip().lower()


def extension_for(mime: str) -> str:
    return EXTENSIONS.get(base_mime(mime), ".audio")


def new_id() -> str:
    return secrets.token_hex(8)


@dataclass(frozen=True, slots=True)
class Memo:
    """Metadata of one memo. Field names are the IndexedDB record's keys."""

    id: str
    title: str
    created: float  # ms since the epoch
    duration: float  # seconds, measured while recording (WebM carries none)
    mime: str
    size: int = 0
    description: str = ""
    recovered: bool = False
    deleted: float | None = None  # ms since the epoch when moved to the undo bin

    @classmethod
    def new(
        cls,
        created: float,
        duration: float,
        mime: str,
        utc_offset_minutes: int = 0,
        *,
        recovered: bool = False,
        id: str | None = None,
    ) -> Memo:
        return cls(
            id=id or new_id(),
            title=default_title(created, utc_offset_minutes),
            created=created,
            duration=duration,
            mime=mime,
            recovered=recovered,
        )

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Memo:
        return cls(
            id=str(record["id"]),
            title=str(record.get("title") or t("memo.untitled")),
            created=float(record.get("created") or 0),
            duration=float(record.get("duration") or 0),
            mime=str(record.get("mime") or "audio/webm"),
            size=int(record.get("size") or 0),
            description=str(record.get("description") or ""),
            recovered=bool(record.get("recovered")),
            deleted=record.get("deleted"),
        )

    def to_record(self) -> dict[str, Any]:
        return asdict(self)

    def renamed(self, title: str) -> Memo:
        return replace(self, title=title.strip() or t("memo.untitled"))

    def described(self, description: str) -> Memo:
        return replace(self, description=description.strip())

    def mark_deleted(self, now: float) -> Memo:
        return replace(self, deleted=now)

    def restored(self) -> Memo:
        return replace(self, deleted=None)

    @property
    def download_name(self) -> str:
        return file_stem(self.title) + extension_for(self.mime)


def default_title(created: float, utc_offset_minutes: int = 0) -> str:
    return t("memo.default_title", date=date_label(created, utc_offset_minutes))


def newest_first(memos: list[Memo]) -> list[Memo]:
    return sorted((m for m in memos if m.deleted is None), key=lambda m: m.created, reverse=True)
