import pytest

from seedvox.core.settings import (
    BadSetting,
    Settings,
    format_ice_servers,
    parse_ice_servers,
    parse_max_megabytes,
    parse_trackers,
)


def test_trackers_one_per_line():
    text = "wss://tracker.example.org\n\n  ws://127.0.0.1:8000  \nwss://t.example:443/announce"
    assert parse_trackers(text) == [
        "wss://tracker.example.org",
        "ws://127.0.0.1:8000",
        "wss://t.example:443/announce",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "https://tracker.example.org",
        "javascript:alert(1)",
        "wss://",
        "udp://tracker:80",
        "wss://a b",
    ],
)
def test_bad_trackers_are_refused(text):
    with pytest.raises(BadSetting):
        parse_trackers(text)


def test_ice_servers_round_trip():
    text = "stun:stun.example.org:3478\nturn:turn.example.org:3478 alice s3cret"
    servers = parse_ice_servers(text)
    assert servers == [
        {"urls": "stun:stun.example.org:3478"},
        {"urls": "turn:turn.example.org:3478", "username": "alice", "credential": "s3cret"},
    ]
    assert format_ice_servers(servers) == text
    assert parse_ice_servers("") == []


@pytest.mark.parametrize(
    "text",
    ["http://stun.example.org", "turn:turn.example.org:3478", "stun:x user", "data:text/html,x"],
)
def test_bad_ice_servers_are_refused(text):
    with pytest.raises(BadSetting):
        parse_ice_servers(text)


def test_size_limit():
    assert parse_max_megabytes("200") == 200_000_000
    for bad in ("0", "abc", "5000", "-3"):
        with pytest.raises(BadSetting):
            parse_max_megabytes(bad)


def test_stored_settings_fall_back_to_the_deployment():
    defaults = Settings(trackers=["wss://a.example"], ice_servers=[{"urls": "stun:s.example"}])
    assert Settings.from_record(None, defaults) == defaults
    mine = Settings.from_record({"trackers": ["ws://127.0.0.1:1"], "iceServers": []}, defaults)
    assert mine.trackers == ["ws://127.0.0.1:1"]
    assert mine.ice_servers == []
    assert Settings.from_record(mine.to_record(), defaults) == mine
