"""What a file really is, from its first bytes, whatever its name or claimed type says."""

from __future__ import annotations

SNIFF_BYTES = 16


def audio_type(head: bytes) -> str | None:
    """The container's MIME type for the audio formats browsers play, or None."""
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "audio/webm"  # EBML: WebM / Matroska
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return "audio/mp4"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    if head.startswith(b"ID3") or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    return None


def same_container(claimed: str, sniffed: str) -> bool:
    """Whether a claimed MIME type (e.g. from a payload header) fits the sniffed bytes."""
    claimed = claimed.split(";", 1)[0].strip().lower()
    aliases = {
        "audio/x-wav": "audio/wav",
        "audio/wave": "audio/wav",
        "audio/mp3": "audio/mpeg",
        "video/webm": "audio/webm",
        "audio/x-m4a": "audio/mp4",
        "audio/opus": "audio/ogg",
    }
    return aliases.get(claimed, claimed) == sniffed
