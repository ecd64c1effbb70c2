"""The receiving side's state machine, and what the sharing side shows.

A fetch starts CONNECTING. With no peer, or no new bytes, for NO_PEER_HINT_S it is WAITING (the
sharer must have Seedvox open) and keeps trying. Stalled bytes count, not the peer count: a
sharer that vanished keeps its dead connection open for ~17 s. If nobody ever answers within
`give_up_s` it FAILS; once the memo's size is known it waits for the sharer as long as the user
lets it (Cancel), since a restarted sharer resumes the transfer where it stopped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from .format import size_label
from .settings import DEFAULT_MAX_BYTES
from .strings import t

NO_PEER_HINT_S = 10.0
GIVE_UP_S = 120.0


class Phase(Enum):
    CONNECTING = "connecting"
    WAITING = "waiting"
    DOWNLOADING = "downloading"
    SAVING = "saving"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINAL = {Phase.DONE, Phase.FAILED, Phase.CANCELLED}


@dataclass(frozen=True)
class Stats:
    """A transfer's figures at one moment, as the torrent adapter reports them."""

    progress: float = 0.0  # 0..1
    downloaded: int = 0
    uploaded: int = 0
    download_speed: float = 0.0  # bytes/s
    upload_speed: float = 0.0
    peers: int = 0

    @classmethod
    def from_record(cls, record: dict) -> Stats:
        return cls(
            progress=min(max(float(record.get("progress") or 0), 0.0), 1.0),
            downloaded=int(record.get("downloaded") or 0),
            uploaded=int(record.get("uploaded") or 0),
            download_speed=float(record.get("downloadSpeed") or 0),
            upload_speed=float(record.get("uploadSpeed") or 0),
            peers=int(record.get("peers") or 0),
        )


@dataclass
class Fetch:
    """One fetch's state machine: its phase, size and latest figures."""

    infohash: str
    started: float  # seconds, any monotonic clock
    give_up_s: float = GIVE_UP_S
    max_bytes: int = DEFAULT_MAX_BYTES
    phase: Phase = Phase.CONNECTING
    size: int | None = None
    stats: Stats = field(default_factory=Stats)
    last_peer: float | None = None  # when a peer was last seen
    last_bytes: float | None = None  # when downloaded bytes last grew
    error: str = ""

    @property
    def final(self) -> bool:
        return self.phase in FINAL

    def metadata(self, size: int, files: int) -> None:
        """The torrent's info arrived: refuse what we would never save, before downloading."""
        if self.final:
            return
        if files != 1:
            self.fail(t("fetch.bad_torrent"))
        elif size > self.max_bytes:
            self.fail(t("fetch.too_big", size=size_label(size), limit=size_label(self.max_bytes)))
        else:
            self.size = size
            self.phase = Phase.DOWNLOADING

    def progress(self, stats: Stats, now: float) -> None:
        if self.final or self.phase is Phase.SAVING:
            return
        if stats.downloaded > self.stats.downloaded:
            self.last_bytes = now
        self.stats = stats
        if stats.peers:
            self.last_peer = now
        if self.size is not None and self.last_bytes == now:
            self.phase = Phase.DOWNLOADING

    def tick(self, now: float) -> None:
        """Advance timeouts; call about once a second."""
        if self.final or self.phase is Phase.SAVING:
            return
        if self.size is None:
            quiet_since = self.last_peer if self.last_peer is not None else self.started
        else:
            quiet_since = max(
                t for t in (self.last_bytes, self.last_peer, self.started) if t is not None
            )
        if now - quiet_since >= NO_PEER_HINT_S:
            self.phase = Phase.WAITING
        if self.size is None and self.last_peer is None and now - self.started >= self.give_up_s:
            self.fail(t("fetch.gave_up"))

    def downloaded(self) -> None:
        if not self.final:
            self.phase = Phase.SAVING

    def saved(self) -> None:
        if self.phase is Phase.SAVING:
            self.phase = Phase.DONE

    def fail(self, message: str) -> None:
        if not self.final:
            self.phase = Phase.FAILED
            self.error = message

    def cancel(self) -> None:
        if not self.final:
            self.phase = Phase.CANCELLED

    def summary(self) -> str:
        """One line for the progress area."""
        if self.phase is Phase.FAILED:
            return self.error
        if self.phase is Phase.CANCELLED:
            return t("fetch.cancelled")
        if self.phase is Phase.DONE:
            return t("fetch.done")
        if self.phase is Phase.SAVING:
            return t("fetch.saving")
        if self.phase is Phase.WAITING:
            return t("fetch.waiting")
        if self.phase is Phase.CONNECTING:
            return t("fetch.connecting")
        return t(
            "fetch.progress",
            percent=int(self.stats.progress * 100),
            speed=size_label(int(self.stats.download_speed)),
            peers=self.stats.peers,
        )


def share_summary(stats: Stats) -> str:
    return t("share.stats", peers=stats.peers, uploaded=size_label(stats.uploaded))
