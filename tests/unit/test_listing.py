import pytest

from seedvox.core.listing import memo_item, memo_items
from seedvox.core.memo import Memo

HOSTILE = "<img src=x onerror=alert(1)> & \"quotes\" 'too'"


@pytest.mark.parametrize("recovered", [False, True])
@pytest.mark.parametrize(
    ("title", "shown"),
    [
        ("Groceries", "Groceries"),
        (HOSTILE, "&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot; &#x27;too&#x27;"),
        ("Ünïcode · 🎙", "Ünïcode · 🎙"),
    ],
)
def test_item_markup_escapes_every_value(title, shown, recovered):
    memo = Memo("ab12", title, 1_795_000_000_000, 3723.5, "audio/webm", recovered=recovered)
    badge = '<span class="badge">&lt;Recovered&gt;</span>' if recovered else ""
    assert memo_item(memo, -300, "<Recovered>") == (
        f'<li class="memo"><a href="#/memo/ab12" class="title">{shown}</a>'
        '<span class="meta"><time datetime="2026-11-18T11:06:40Z">18 Nov 2026, 06:06</time> · '
        f'<time datetime="PT3723.50S" class="duration">1:02:03</time>{badge}</span></li>'
    )


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
