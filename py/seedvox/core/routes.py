"""Hash routes: the whole app state worth a URL lives in the fragment, which no server sees.

#/                  library
#/memo/<id>         one memo
#/settings          settings
#/get/v1/<i>/<k>    receive a shared memo (core.links)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_MEMO_ID = re.compile(r"^[0-9a-f]{1,64}$")


@dataclass(frozen=True)
class Route:
    """One screen of the app and its parameters, as parsed from location.hash."""

    name: str  # "library" | "memo" | "settings" | "fetch" | "not_found"
    params: dict[str, str] = field(default_factory=dict)


LIBRARY = Route("library")
SETTINGS = Route("settings")


def parse(fragment: str) -> Route:
    """Route for a location.hash value ('#/memo/ab12', '', '#/')."""
    path = fragment.removeprefix("#").split("?", 1)[0]
    parts = [part for part in path.split("/") if part]
    if not parts:
        return LIBRARY
    head, rest = parts[0], parts[1:]
    if head == "settings" and not rest:
        return SETTINGS
    if head == "get":
        # The link is validated by core.links, so a damaged one gets a precise message.
        return Route("fetch", {"fragment": fragment[:1000]})
    if head == "memo" and len(rest) == 1 and _MEMO_ID.match(rest[0]):
        return Route("memo", {"id": rest[0]})
    return Route("not_found", {"path": path[:200]})


def href(route: Route) -> str:
    if route.name == "memo":
        return f"#/memo/{route.params['id']}"
    if route.name == "settings":
        return "#/settings"
    if route.name == "fetch":
        return route.params["fragment"]
    return "#/"


def memo(memo_id: str) -> Route:
    return Route("memo", {"id": memo_id})


def fetch(fragment: str) -> Route:
    """The route that receives the share in a link's fragment ('#/get/...')."""
    return parse(fragment) if fragment.startswith("#/get/") else LIBRARY
