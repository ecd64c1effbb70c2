"""Formatting of durations, dates, sizes and file names for display."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def clock(seconds: float) -> str:
    """0:03, 12:40, 1:02:03. Unknown or infinite durations show as --:--."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "--:--"
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def iso_duration(seconds: float) -> str:
    """An ISO-8601 duration for <time datetime>, exact to the hundredth: PT3.21S."""
    if not math.isfinite(seconds) or seconds < 0:
        return "PT0S"
    return f"PT{seconds:.2f}S"


def local_datetime(epoch_ms: float, utc_offset_minutes: int = 0) -> datetime:
    """`utc_offset_minutes` is east-positive (the negation of JS getTimezoneOffset())."""
    return datetime.fromtimestamp(epoch_ms / 1000, UTC) + timedelta(minutes=utc_offset_minutes)


def date_label(epoch_ms: float, utc_offset_minutes: int = 0) -> str:
    """25 Nov 2026, 14:03 in the user's local time."""
    m = local_datetime(epoch_ms, utc_offset_minutes)
    # Fields, not strftime: the library formats a thousand of these per render.
    return f"{m.day} {MONTHS[m.month - 1]} {m.year}, {m.hour:02d}:{m.minute:02d}"


def iso_instant(epoch_ms: float) -> str:
    """A machine-readable UTC instant for <time datetime>."""
    m = datetime.fromtimestamp(epoch_ms / 1000, UTC)
    return f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}Z"


def size_label(size: int) -> str:
    """1.5 MB, 820 KB, 12 B (decimal units, as file managers show them)."""
    if size < 1000:
        return f"{size} B"
    for unit in ("KB", "MB", "GB"):
        size /= 1000
        if size < 1000 or unit == "GB":
            return f"{size:.1f} {unit}" if size < 10 else f"{size:.0f} {unit}"
    raise AssertionError("unreachable")


_UNSAFE_FILENAME = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')


def file_stem(title: str, fallback: str = "memo") -> str:
    """A title made safe to be a file name on every desktop OS."""
    stem = _UNSAFE_FILENAME.sub(" ", title)
    stem = re.sub(r"\s+", " ", stem).strip(" .")
    return stem[:120].rstrip(" .") or fallback
