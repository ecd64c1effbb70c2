import pytest

from seedvox.core import routes
from seedvox.core.links import ShareLink


@pytest.mark.parametrize("fragment", ["", "#", "#/", "#//"])
def test_library_is_the_default(fragment):
    assert routes.parse(fragment) == routes.LIBRARY


def test_memo_and_settings():
    assert routes.parse("#/memo/ab12") == routes.Route("memo", {"id": "ab12"})
    assert routes.parse("#/settings") == routes.SETTINGS


@pytest.mark.parametrize(
    "fragment",
    ["#/memo/", "#/memo/<script>", "#/memo/ab/cd", "#/nope", "#/settings/x", "#/memo/" + "a" * 65],
)
def test_unknown_routes_are_not_found(fragment):
    assert routes.parse(fragment).name == "not_found"


def test_href_round_trips():
    for route in (routes.LIBRARY, routes.SETTINGS, routes.memo("beef")):
        assert routes.parse(routes.href(route)) == route


def test_a_share_links_fragment_round_trips():
    link = ShareLink("ab" * 20, bytes(range(32)))
    route = routes.fetch(link.fragment)
    assert route.name == "fetch"
    assert routes.href(route) == link.fragment
    assert routes.parse(routes.href(route)) == route


def test_fetch_refuses_what_is_not_a_share_fragment():
    assert routes.fetch("#/settings") == routes.LIBRARY
