"""QR codes of share links, so a phone can take a link from a screen."""

from __future__ import annotations

QUIET_ZONE = 4  # modules of light margin readers expect around the code


def qr_data_uri(text: str) -> str:
    """An SVG QR code of `text` as a data: URI for an <img> (no markup enters the page)."""
    import segno  # installed on first use in the browser (adapters.packages)

    code = segno.make(text, error="m", micro=False)
    return code.svg_data_uri(scale=4, border=QUIET_ZONE, dark="#000", light="#fff")
