"""Settings: trackers, STUN/TURN servers, the receive size limit; version and storage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..adapters import store
from ..core import routes
from ..core.settings import (
    BadSetting,
    Settings,
    format_ice_servers,
    parse_ice_servers,
    parse_max_megabytes,
    parse_trackers,
)
from ..core.strings import t
from .dom import Listeners, append, by_id, clear, h
from .shell import Shell

if TYPE_CHECKING:  # sharing (and WebTorrent's adapter) load after the first screen
    from ..sharing import Sharing

SETTINGS_KEY = "network"


def defaults(config: dict[str, Any]) -> Settings:
    """The deployment's choices (build.py --tracker), before the user changes anything."""
    return Settings(
        trackers=list(config.get("trackers") or []),
        ice_servers=list(config.get("iceServers") or []),
    )


async def load(config: dict[str, Any]) -> Settings:
    return Settings.from_record(await store.get_setting(SETTINGS_KEY), defaults(config))


class SettingsView:
    def __init__(self, shell: Shell, sharing: Sharing) -> None:
        self.shell = shell
        self.sharing = sharing
        self.section = by_id("view-settings")
        self._listeners = Listeners(shell.report)

    async def enter(self, _route: routes.Route) -> None:
        current = self.sharing.settings
        storage_key = (
            "settings.storage_persisted"
            if self.shell.storage_persisted
            else "settings.storage_best_effort"
        )
        trackers = h(
            "textarea",
            {"id": "set-trackers", "rows": "4", "spellcheck": "false"},
            "\n".join(current.trackers),
        )
        ice = h(
            "textarea",
            {"id": "set-ice", "rows": "3", "spellcheck": "false"},
            format_ice_servers(current.ice_servers),
        )
        limit = h(
            "input",
            {
                "id": "set-limit",
                "type": "number",
                "min": "1",
                "max": "2000",
                "step": "1",
                "value": str(current.max_bytes // 1_000_000),
            },
        )
        save = h("button", {"type": "button", "class": "primary"}, t("settings.save"))
        reset = h("button", {"type": "button"}, t("settings.reset"))
        self.error = h("p", {"class": "error", "role": "alert"})
        clear(self.section)
        append(
            self.section,
            h("h1", {"id": "settings-heading"}, t("settings.heading")),
            h("h2", None, t("settings.network")),
            h("label", {"for": "set-trackers"}, t("settings.trackers")),
            h("p", {"class": "hint", "id": "set-trackers-hint"}, t("settings.trackers_hint")),
            trackers,
            h("label", {"for": "set-ice"}, t("settings.ice")),
            h("p", {"class": "hint"}, t("settings.ice_hint")),
            ice,
            h("label", {"for": "set-limit"}, t("settings.limit")),
            limit,
            self.error,
            h("div", {"class": "actions"}, save, reset),
            h("h2", None, t("settings.about")),
            h("p", None, t(storage_key)),
            h(
                "p",
                {"class": "version"},
                t("settings.version", version=self.shell.config.get("version", "?")),
            ),
        )
        self._listeners.on(
            save, "click", lambda _e: self.save(trackers.value, ice.value, limit.value)
        )
        self._listeners.on(reset, "click", lambda _e: self.reset())

    def leave(self) -> None:
        self._listeners.clear()
        clear(self.section)

    async def external_change(self) -> None:
        pass

    async def save(self, trackers: str, ice: str, limit: str) -> None:
        try:
            settings = Settings(
                trackers=parse_trackers(trackers),
                ice_servers=parse_ice_servers(ice),
                max_bytes=parse_max_megabytes(limit),
            )
        except BadSetting as error:
            self.error.textContent = str(error)
            return
        self.error.textContent = ""
        await store.put_setting(SETTINGS_KEY, settings.to_record())
        self.sharing.apply(settings)
        self.shell.status.show(t("settings.saved"))

    async def reset(self) -> None:
        await store.put_setting(SETTINGS_KEY, None)
        self.sharing.apply(defaults(self.shell.config))
        await self.enter(routes.SETTINGS)
        self.shell.status.show(t("settings.saved"))
