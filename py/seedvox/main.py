"""Boot: restore state, recover interrupted recordings, start the router, then go offline-ready.

Data flow: DOM event -> ui handler -> core decides -> adapters await one JS promise -> ui renders.
"""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Callable

from .adapters import interop, platform, recorder, store
from .core.recording import plan_recovery
from .core.strings import t
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
    booted = interop.now_ms()
    config, recovered = await asyncio.gather(platform.load_config(), recover_recordings())
    shell = Shell(config)
    app = App(shell, await settings.load(config))
    app.start()
    await app.route()
    secure = platform.is_secure_context()
    app.library.enable(secure and recorder.supported())
    platform.mark_ready()
    # Off the path to interactive from here on: the browser shows the first screen before the
    # rest (building sharing imports WebTorrent's adapter and the other views' code) runs.
    await asyncio.sleep(0)
    # Memos deleted in an earlier visit are past their undo window.
    spawn(store.purge(deleted_before=booted), shell.report)
    if recovered:
        shell.status.show(t("record.recovered", count=recovered), seconds=None)
    if not secure:
        shell.status.show(t("boot.insecure"), error=True, seconds=None)
        return
    # Shared memos are announced again soon after boot.
    spawn(app.sharing.reseed_all(), shell.report)
    shell.storage_persisted = await platform.persist_storage()
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
