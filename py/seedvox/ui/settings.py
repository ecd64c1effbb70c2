"""Settings: version, storage persistence."""

from __future__ import annotations

from ..core import routes
from ..core.strings import t
from .dom import by_id, clear, h
from .shell import Shell


class SettingsView:
    def __init__(self, shell: Shell) -> None:
        self.shell = shell
        self.section = by_id("view-settings")
        self.persisted = False

    async def enter(self, _route: routes.Route) -> None:
        storage = t(
            "settings.storage_persisted" if self.persisted else "settings.storage_best_effort"
        )
        clear(self.section)
        self.section.append(
            h("h1", {"id": "settings-heading"}, t("settings.heading")),
            h("p", None, storage),
            h(
                "p",
                {"class": "version"},
                t("settings.version", version=self.shell.config.get("version", "?")),
            ),
        )

    def leave(self) -> None:
        clear(self.section)
