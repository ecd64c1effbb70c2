import pytest

from seedvox.core import routes
from seedvox.core.format import clock, date_label, iso_duration, iso_instant
from seedvox.core.listing import memo_item, memo_items
from seedvox.core.markup import tag
from seedvox.core.memo import Memo

HOSTILE = "<img src=x onerror=alert(1)> & \"quotes\" 'too'"


def composed(memo: Memo, offset: int, recovered_label: str) -> str:
    """The same item built element by element with core.markup, the reference."""
    badge = tag("span", {"class": "badge"}, recovered_label) if memo.recovered else None
    return tag(
        "li",
        {"class": "memo"},
        tag("a", {"href": routes.href(routes.memo(memo.id)), "class": "title"}, memo.title),
        tag(
            "span",
            {"class": "meta"},
            tag("time", {"datetime": iso_instant(memo.created)}, date_label(memo.created, offset)),
            " · ",
            tag(
                "time",
                {"datetime": iso_duration(memo.duration), "class": "duration"},
                clock(memo.duration),
            ),
            badge,
        ),
    )


@pytest.mark.parametrize("recovered", [False, True])
@pytest.mark.parametrize("title", ["Groceries", HOSTILE, "Ünïcode · 🎙"])
def test_item_is_the_markup_tag_would_build(title, recovered):
    memo = Memo("ab12", title, 1_795_000_000_000, 3723.5, "audio/webm", recovered=recovered)
    assert memo_item(memo, -300, "<Recovered>") == composed(memo, -300, "<Recovered>")


def test_hostile_title_is_text():
    memo = Memo("ab12", HOSTILE, 1_795_000_000_000, 12, "audio/webm")
    html = memo_item(memo, 0, "Recovered")
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot; &#x27;too&#x27;" in html
    assert '<time datetime="2026-11-18T11:06:40Z">18 Nov 2026, 11:06</time>' in html


def test_items_keep_the_order_given():
    memos = [Memo(f"{n:x}", f"memo {n}", n * 1000.0, 1, "audio/webm") for n in (3, 1, 2)]
    html = memo_items(memos, 0, "Recovered")
    assert [html.index(f"memo {n}<") for n in (3, 1, 2)] == sorted(
        html.index(f"memo {n}<") for n in (3, 1, 2)
    )
    assert memo_items([], 0, "Recovered") == ""
