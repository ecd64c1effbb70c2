from seedvox.core.markup import Markup, tag


def test_text_and_attributes_are_escaped():
    html = tag("a", {"href": '#/x"><script>', "title": "a&b"}, "<img src=x onerror=alert(1)>")
    assert html == (
        '<a href="#/x&quot;&gt;&lt;script&gt;" title="a&amp;b">'
        "&lt;img src=x onerror=alert(1)&gt;</a>"
    )


def test_markup_nests_and_none_is_left_out():
    html = tag(
        "li", {"class": "memo", "hidden": False, "open": True}, tag("b", None, "x"), None, "&"
    )
    assert html == '<li class="memo" open><b>x</b>&amp;</li>'
    assert isinstance(html, Markup)


def test_a_plain_string_that_looks_like_markup_is_still_escaped():
    assert tag("p", None, "<b>bold</b>") == "<p>&lt;b&gt;bold&lt;/b&gt;</p>"
