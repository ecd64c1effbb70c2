from seedvox.core.transfer import NO_PEER_HINT_S, Fetch, Phase, Stats, share_summary


def fetch(**kw):
    return Fetch("ab" * 20, started=0.0, give_up_s=60, max_bytes=1000, **kw)


def test_happy_path():
    f = fetch()
    f.progress(Stats(peers=1), now=1)
    f.metadata(size=500, files=1)
    assert f.phase is Phase.DOWNLOADING
    f.progress(Stats(progress=0.5, download_speed=2000, peers=2), now=2)
    assert f.summary() == "50% · 2.0 KB/s · 2 peer(s)"
    f.downloaded()
    assert f.phase is Phase.SAVING
    f.saved()
    assert f.phase is Phase.DONE and f.final


def test_waiting_hint_after_ten_quiet_seconds_then_give_up():
    f = fetch()
    f.tick(NO_PEER_HINT_S - 1)
    assert f.phase is Phase.CONNECTING
    f.tick(NO_PEER_HINT_S)
    assert f.phase is Phase.WAITING
    assert "Seedvox open" in f.summary()
    f.tick(60)
    assert f.phase is Phase.FAILED
    assert "Nobody is sharing" in f.summary()


def test_a_known_memo_waits_for_its_sharer_indefinitely():
    f = fetch()
    f.progress(Stats(peers=1), now=1)
    f.metadata(size=500, files=1)
    f.progress(Stats(progress=0.3, downloaded=150, peers=1), now=5)
    f.tick(4 + NO_PEER_HINT_S)
    assert f.phase is Phase.DOWNLOADING
    # the sharer vanished: its dead connection still counts as a peer, but no bytes come
    f.tick(5 + NO_PEER_HINT_S)
    assert f.phase is Phase.WAITING
    f.tick(10_000)
    assert f.phase is Phase.WAITING
    f.progress(Stats(progress=0.3, downloaded=150, peers=1), now=10_001)
    assert f.phase is Phase.WAITING
    f.progress(Stats(progress=0.4, downloaded=200, peers=1), now=10_002)
    assert f.phase is Phase.DOWNLOADING


def test_refused_before_download():
    too_big = fetch()
    too_big.metadata(size=1001, files=1)
    assert too_big.phase is Phase.FAILED and "limit" in too_big.error
    multi = fetch()
    multi.metadata(size=10, files=2)
    assert multi.phase is Phase.FAILED


def test_final_states_stick():
    f = fetch()
    f.cancel()
    f.metadata(size=1, files=1)
    f.fail("x")
    f.tick(1000)
    assert f.phase is Phase.CANCELLED
    assert "Nothing was saved" in f.summary()


def test_stats_from_a_js_record_are_clamped():
    stats = Stats.from_record({"progress": 1.7, "peers": 3, "uploaded": 2_500_000})
    assert stats.progress == 1.0
    assert share_summary(stats) == "3 peer(s) connected · 2.5 MB uploaded"
