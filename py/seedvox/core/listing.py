"""The library's list as HTML text: one string for the whole list, set with one innerHTML.

One template per memo: building its five elements with a general tag builder cost ~40 ms for
1,000 memos on Pyodide, the largest part of the list's render. Every value is escaped."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from . import routes
from .format import clock, date_label, iso_duration, iso_instant
from .memo import Memo


def memo_item(memo: Memo, utc_offset_minutes: int, recovered_label: str) -> str:
    """One `<li>`: the title linking to the memo, then its date and duration (and a badge)."""
    badge = f'<span class="badge">{escape(recovered_label)}</span>' if memo.recovered else ""
    return (
        f'<li class="memo"><a href="{escape(routes.href(routes.memo(memo.id)))}" class="title">'
        f"{escape(memo.title)}</a>"
        f'<span class="meta"><time datetime="{iso_instant(memo.created)}">'
        f"{date_label(memo.created, utc_offset_minutes)}</time> · "
        f'<time datetime="{iso_duration(memo.duration)}" class="duration">'
        f"{clock(memo.duration)}</time>{badge}</span></li>"
    )


def memo_items(memos: Iterable[Memo], utc_offset_minutes: int, recovered_label: str) -> str:
    return "".join(memo_item(memo, utc_offset_minutes, recovered_label) for memo in memos)
