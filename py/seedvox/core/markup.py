"""HTML as text, for views that render many elements at once (one DOM call instead of
thousands). Every string child and attribute value is escaped; only Markup nests as is."""

from __future__ import annotations

from html import escape
from typing import Any


class Markup(str):
    """HTML made by `tag`, safe to nest in another tag."""

    __slots__ = ()


def tag(name: str, attrs: dict[str, Any] | None = None, *children: Any) -> Markup:
    """`<name attrs>children</name>`; None and False attributes and None children are left out."""
    attributes = "".join(
        f' {key}="{escape(str(value), quote=True)}"' if value is not True else f" {key}"
        for key, value in (attrs or {}).items()
        if value is not None and value is not False
    )
    inner = "".join(
        child if isinstance(child, Markup) else escape(str(child))
        for child in children
        if child is not None
    )
    return Markup(f"<{name}{attributes}>{inner}</{name}>")
