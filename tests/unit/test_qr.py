import base64
import urllib.parse

from seedvox.core.qr import qr_data_uri

LINK = "https://example.org/seedvox/#/get/v1/" + "ab" * 20 + "/" + "A" * 43


def test_a_link_becomes_an_svg_image_uri():
    uri = qr_data_uri(LINK)
    assert uri.startswith("data:image/svg+xml")
    svg = (
        urllib.parse.unquote(uri.split(",", 1)[1])
        if ";base64" not in uri
        else base64.b64decode(uri.split(",", 1)[1]).decode()
    )
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert "<script" not in svg


def test_same_link_same_code_different_link_different_code():
    assert qr_data_uri(LINK) == qr_data_uri(LINK)
    assert qr_data_uri(LINK) != qr_data_uri(LINK.replace("ab", "cd", 1))


def test_tests_use_the_segno_the_site_ships():
    import segno

    import build

    assert segno.__version__ == build.SEGNO.version
