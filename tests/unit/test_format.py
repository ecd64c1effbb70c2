import math

import pytest

from seedvox.core import format as fmt


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0:00"),
        (2.99, "0:02"),
        (61, "1:01"),
        (3723, "1:02:03"),
        (math.inf, "--:--"),
        (-1, "--:--"),
    ],
)
def test_clock(seconds, text):
    assert fmt.clock(seconds) == text


def test_iso_duration_keeps_hundredths():
    assert fmt.iso_duration(3.214) == "PT3.21S"
    assert fmt.iso_duration(math.inf) == "PT0S"


def test_date_label_uses_the_local_offset():
    moment = 1_795_000_000_000  # 2026-11-18T11:06:40Z
    assert fmt.date_label(moment) == "18 Nov 2026, 11:06"
    assert fmt.date_label(moment, utc_offset_minutes=-600) == "18 Nov 2026, 01:06"
    assert fmt.iso_instant(moment) == "2026-11-18T11:06:40Z"


@pytest.mark.parametrize(
    ("size", "text"), [(12, "12 B"), (1500, "1.5 KB"), (2_300_000, "2.3 MB"), (45_000_000, "45 MB")]
)
def test_size_label(size, text):
    assert fmt.size_label(size) == text


@pytest.mark.parametrize(
    ("title", "stem"),
    [
        ("Meeting notes", "Meeting notes"),
        ('a/b\\c:d*e?f"g<h>i|j', "a b c d e f g h i j"),
        ("  ..hidden.. ", "hidden"),
        ("\x00\x1f", "memo"),
        ("x" * 300, "x" * 120),
    ],
)
def test_file_stem_is_safe_everywhere(title, stem):
    assert fmt.file_stem(title) == stem
