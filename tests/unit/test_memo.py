from seedvox.core.memo import Memo, base_mime, extension_for, newest_first


def make(**changes):
    memo = Memo.new(
        created=1_795_000_000_000, duration=3.2, mime="audio/webm;codecs=opus", id="ab12"
    )
    return Memo.from_record({**memo.to_record(), **changes})


def test_new_memo_has_a_dated_default_title():
    memo = make()
    assert memo.title == "Memo 18 Nov 2026, 11:06"
    assert memo.id == "ab12"
    assert not memo.recovered


def test_record_round_trip():
    memo = make(description="hi", size=10)
    assert Memo.from_record(memo.to_record()) == memo


def test_from_record_tolerates_missing_fields():
    memo = Memo.from_record({"id": "ff"})
    assert memo.title == "Untitled memo"
    assert memo.mime == "audio/webm"
    assert memo.duration == 0


def test_blank_title_becomes_untitled_and_text_is_trimmed():
    assert make().renamed("   ").title == "Untitled memo"
    assert make().renamed("  Call mum ").title == "Call mum"
    assert make().described(" notes \n").description == "notes"


def test_download_name_uses_the_container_extension():
    assert make(title="Idea").download_name == "Idea.weba"
    assert make(title="Idea", mime="audio/mp4").download_name == "Idea.m4a"
    assert make(title="Idea", mime="audio/ogg;codecs=opus").download_name == "Idea.ogg"
    assert make(title="../../etc/passwd").download_name == "etc passwd.weba"


def test_mime_helpers():
    assert base_mime("Audio/WebM; codecs=opus") == "audio/webm"
    assert extension_for("video/x-unknown") == ".audio"


def test_delete_and_restore():
    memo = make()
    deleted = memo.mark_deleted(5.0)
    assert deleted.deleted == 5.0
    assert deleted.restored() == memo


def test_newest_first_hides_deleted():
    old, new = make(id="01", created=1), make(id="02", created=2)
    gone = make(id="03", created=3).mark_deleted(4)
    assert [m.id for m in newest_first([old, gone, new])] == ["02", "01"]
