"""Boot: restore state, recover interrupted recordings, start the router, then go offline-ready.

Data flow: DOM event -> ui handler -> core decides -> adapters await one JS promise -> ui renders.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable

from .adapters import interop, platform, recorder, store
from .core.recording import plan_recovery
from .core.strings import t
from .sharing import Sharing
from .ui import settings
from .ui.app import App
from .ui.dom import spawn
from .ui.shell import Shell


async def recover_recordings() -> int:
    """Turn chunks left by a closed or crashed tab into memos marked recovered."""
    sessions = await store.list_sessions()
    if not sessions:
        return 0
    active = await recorder.active_sessions()
    recover, drop = plan_recovery(sessions, active, interop.utc_offset_minutes())
    for session, memo in recover:
        await store.finish_session(session, memo)
    for session in drop:
        await store.drop_session(session)
    return len(recover)


async def start() -> None:
    try:
        await _start()
    except Exception as error:
        traceback.print_exception(error)
        platform.boot_failed(f"{type(error).__name__}: {error}")
        raise


async def _start() -> None:
    config = await platform.load_config()
    shell = Shell(config)
    sharing = Sharing(await settings.load(config))
    app = App(shell, sharing)
    recovered = await recover_recordings()
    # Memos deleted in an earlier visit are past their undo window.
    await store.purge(deleted_before=interop.now_ms())
    app.start()
    await app.route()
    secure = platform.is_secure_context()
    app.library.enable(secure and recorder.supported())
    platform.mark_ready()
    if recovered:
        shell.status.show(t("record.recovered", count=recovered), seconds=None)
    if not secure:
        shell.status.show(t("boot.insecure"), error=True, seconds=None)
        return
    # Shared memos are announced again soon after boot, off the path to interactive.
    spawn(sharing.reseed_all(), shell.report)
    app.settings.persisted = await platform.persist_storage()
    updates = UpdateOffer(shell)
    updates.apply = await platform.register_service_worker(updates.offer)


class UpdateOffer:
    """A new build is installed and waiting: offer to reload into it (memos are untouched)."""

    def __init__(self, shell: Shell) -> None:
        self.shell = shell
        self.apply: Callable[[], None] | None = None

    def offer(self) -> None:
        self.shell.status.show(
            t("update.available"), (t("update.reload"), self.reload), seconds=None
        )

    def reload(self) -> None:
        if self.apply:
            self.apply()
