import pytest

from seedvox.core.links import BadLink, ShareLink, decode_key, encode_key, parse_fragment, parse_url
from tests.hostile_links import GOOD, HOSTILE_LINKS

HASH = "0123456789abcdef0123456789abcdef01234567"
KEY = bytes(range(32))
KEY_TEXT = encode_key(KEY)


def test_link_round_trip_under_a_sub_path():
    link = ShareLink(HASH, KEY)
    url = link.url("https://example.org/apps/seedvox/?utm=1#/memo/ab")
    assert url == f"https://example.org/apps/seedvox/#/get/v1/{HASH}/{KEY_TEXT}"
    assert parse_url(url) == link
    assert parse_fragment(link.fragment) == link


def test_key_is_43_characters_of_base64url():
    assert len(KEY_TEXT) == 43
    assert decode_key(KEY_TEXT) == KEY
    assert set(encode_key(b"\xff" * 32)) <= set(
        "_-" + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    )


def test_uppercase_hash_is_normalised():
    assert parse_fragment(f"#/get/v1/{HASH.upper()}/{KEY_TEXT}").infohash == HASH


def test_the_key_is_never_part_of_the_infohash_or_name():
    link = ShareLink(HASH, KEY)
    assert KEY_TEXT not in link.infohash


@pytest.mark.parametrize("fragment", HOSTILE_LINKS)
def test_hostile_links_are_refused_with_a_reason(fragment):
    with pytest.raises(BadLink) as caught:
        parse_fragment(fragment)
    message = str(caught.value)
    assert message.endswith(".") and "<" not in message


def test_the_corpus_is_big_and_its_control_is_valid():
    assert len(HOSTILE_LINKS) >= 50
    assert parse_fragment(GOOD).infohash == HASH


def test_a_url_without_fragment_is_not_a_share():
    with pytest.raises(BadLink):
        parse_url("https://example.org/seedvox/")
