import pytest

from seedvox.core.sniff import audio_type, same_container


@pytest.mark.parametrize(
    ("head", "mime"),
    [
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81", "audio/webm"),
        (b"OggS\x00\x02", "audio/ogg"),
        (b"\x00\x00\x00\x1cftypM4A ", "audio/mp4"),
        (b"RIFF\x24\x08\x00\x00WAVEfmt ", "audio/wav"),
        (b"fLaC\x00\x00\x00\x22", "audio/flac"),
        (b"ID3\x04\x00", "audio/mpeg"),
        (b"\xff\xfb\x90\x64", "audio/mpeg"),
    ],
)
def test_known_containers(head, mime):
    assert audio_type(head) == mime


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"<html><script>",
        b"%PDF-1.7",
        b"PK\x03\x04",
        b"RIFF\x00\x00\x00\x00AVI ",
        b"\x89PNG\r\n",
    ],
)
def test_everything_else_is_not_audio(head):
    assert audio_type(head) is None


def test_claimed_type_must_fit_the_bytes():
    assert same_container("audio/webm;codecs=opus", "audio/webm")
    assert same_container("audio/x-wav", "audio/wav")
    assert not same_container("audio/mp4", "audio/webm")
