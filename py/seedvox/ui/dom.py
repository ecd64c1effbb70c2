"""Small DOM helpers. Text always goes in through textContent, so no user string is ever HTML."""

from __future__ import annotations

import asyncio
from asyncio import Task
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from pyodide.ffi import create_proxy
from pyodide.webloop import PyodideTask
from pyscript import document

Handler = Callable[[Any], Awaitable[None] | None]


def by_id(element_id: str) -> Any:
    return document.getElementById(element_id)


def h(tag: str, attrs: dict[str, Any] | None = None, *children: Any) -> Any:
    """Create an element. Attribute values True/False/None add or omit boolean attributes."""
    element = document.createElement(tag)
    for name, value in (attrs or {}).items():
        if value is None or value is False:
            continue
        element.setAttribute(name, "" if value is True else str(value))
    for child in children:
        if child is None:
            continue
        element.append(child if not isinstance(child, str) else document.createTextNode(child))
    return element


def append(parent: Any, *children: Any) -> None:
    """Append children, skipping None (JS would insert the text "undefined")."""
    for child in children:
        if child is not None:
            parent.append(child)


def clear(element: Any) -> None:
    element.replaceChildren()


def show(element: Any, visible: bool) -> None:
    element.hidden = not visible


_running: set[Task] = set()  # strong references: the loop keeps only weak ones


def spawn(coroutine: Coroutine[Any, Any, None], on_error: Callable[[BaseException], None]) -> Task:
    """Run a coroutine from an event handler; report its failure instead of losing it.

    It starts at once, up to its first await: a task scheduled the usual way waits for a later
    macrotask, 5–20 ms on a busy page (between a fetch's last piece and its save, measured)."""
    task = PyodideTask(coroutine, loop=asyncio.get_event_loop(), eager_start=True)
    _running.add(task)

    def done(finished: Task) -> None:
        _running.discard(finished)
        if not finished.cancelled() and finished.exception() is not None:
            on_error(finished.exception())

    task.add_done_callback(done)
    return task


class Listeners:
    """Event listeners owned by one view, removed together when the view is left."""

    def __init__(self, on_error: Callable[[BaseException], None]) -> None:
        self._on_error = on_error
        self._bound: list[tuple[Any, str, Any]] = []

    def on(self, target: Any, event: str, handler: Handler) -> None:
        def dispatch(evt: Any) -> None:
            try:
                result = handler(evt)
            except Exception as error:  # a handler bug must not kill the app
                self._on_error(error)
                return
            if asyncio.iscoroutine(result):
                spawn(result, self._on_error)

        proxy = create_proxy(dispatch)
        target.addEventListener(event, proxy)
        self._bound.append((target, event, proxy))

    def clear(self) -> None:
        for target, event, proxy in self._bound:
            target.removeEventListener(event, proxy)
            proxy.destroy()
        self._bound = []
