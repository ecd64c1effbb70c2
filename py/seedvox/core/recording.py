"""Recording: the state machine behind Record/Stop, and crash recovery of saved chunks.

Chunks (~1 s each) are written to IndexedDB as they arrive; a memo is assembled from them on
Stop. If the tab dies first, the chunks survive and `plan_recovery` turns each orphaned
session into a memo on the next start.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from .memo import Memo

# Below this a recording holds no usable audio (MediaRecorder's first chunk is mostly header).
MIN_DURATION_S = 0.3


class State(Enum):
    IDLE = "idle"
    STARTING = "starting"
    RECORDING = "recording"
    STOPPING = "stopping"


class InvalidTransition(RuntimeError):
    pass


_ALLOWED = {
    State.IDLE: {State.STARTING},
    State.STARTING: {State.RECORDING, State.IDLE},
    State.RECORDING: {State.STOPPING},
    State.STOPPING: {State.IDLE},
}


@dataclass
class Recording:
    """One session's state; `session` names its chunks in the store."""

    session: str
    state: State = State.IDLE
    started: float = 0.0  # ms since the epoch
    mime: str = ""

    def to(self, state: State) -> None:
        if state not in _ALLOWED[self.state]:
            raise InvalidTransition(f"{self.state.value} -> {state.value}")
        self.state = state

    @property
    def busy(self) -> bool:
        return self.state is not State.IDLE


@dataclass(frozen=True)
class Session:
    """What the store knows about a session's saved chunks."""

    session: str
    mime: str
    started: float  # ms since the epoch
    count: int
    size: int
    last_at: float  # ms after start of the newest chunk

    @classmethod
    def from_record(cls, record: dict) -> Session:
        return cls(
            session=str(record["session"]),
            mime=str(record.get("mime") or "audio/webm"),
            started=float(record.get("started") or 0),
            count=int(record.get("count") or 0),
            size=int(record.get("size") or 0),
            last_at=float(record.get("lastAt") or 0),
        )


def plan_recovery(
    sessions: list[Session], active: set[str], utc_offset_minutes: int = 0
) -> tuple[list[tuple[str, Memo]], list[str]]:
    """Split orphaned sessions into memos to assemble and empty sessions to drop.

    Sessions still recording in another tab (they hold a Web Lock) are left alone. A chunk is
    timestamped when it arrives, i.e. at the end of the audio it holds, so the newest chunk's
    time is the recovered duration.
    """
    recover: list[tuple[str, Memo]] = []
    drop: list[str] = []
    for session in sessions:
        if session.session in active:
            continue
        if session.size == 0 or session.count == 0:
            drop.append(session.session)
            continue
        memo = Memo.new(
            created=session.started,
            duration=session.last_at / 1000,
            mime=session.mime,
            utc_offset_minutes=utc_offset_minutes,
            recovered=True,
            id=session.session,
        )
        recover.append((session.session, memo))
    return recover, drop
