import pytest

from seedvox.core.links import BadLink, ShareLink, parse_fragment, parse_url

HASH = "0123456789abcdef0123456789abcdef01234567"


def test_link_round_trip_under_a_sub_path():
    link = ShareLink(HASH)
    url = link.url("https://example.org/apps/seedvox/?utm=1#/memo/ab")
    assert url == f"https://example.org/apps/seedvox/#/get/{HASH}"
    assert parse_url(url) == link
    assert parse_fragment(link.fragment) == link


def test_uppercase_hash_is_normalised():
    assert parse_fragment(f"#/get/{HASH.upper()}").infohash == HASH


@pytest.mark.parametrize(
    "fragment",
    [
        "#/get/",
        "#/get/" + HASH[:-1],
        "#/get/" + HASH + "0",
        "#/get/" + HASH.replace("0", "g"),
        "#/get/" + HASH + "/extra",
        "#/memo/" + HASH,
        "#/get/" + "a" * 600,
        "#/get/%30%31",
        "#/get/<script>alert(1)</script>",
    ],
)
def test_bad_fragments_are_refused_with_a_reason(fragment):
    with pytest.raises(BadLink) as caught:
        parse_fragment(fragment)
    assert str(caught.value)


def test_a_url_without_fragment_is_not_a_share():
    with pytest.raises(BadLink):
        parse_url("https://example.org/seedvox/")
