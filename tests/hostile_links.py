"""Hostile and broken share-link fragments: each must be refused with a clear message, run no
script and change nothing. Used by the unit tests (parsing) and the e2e tests (the live app)."""

from __future__ import annotations

import base64

HASH = "0123456789abcdef0123456789abcdef01234567"
KEY = base64.urlsafe_b64encode(bytes(range(32))).rstrip(b"=").decode()
GOOD = f"#/get/v1/{HASH}/{KEY}"

HOSTILE_LINKS: list[str] = [
    # truncated, missing or extra parts
    "#/get",
    "#/get/",
    "#/get/v1",
    "#/get/v1/",
    f"#/get/v1/{HASH}",
    f"#/get/v1/{HASH}/",
    f"#/get/v1/{HASH[:-1]}/{KEY}",
    f"#/get/v1/{HASH[:20]}/{KEY}",
    f"#/get/v1/{HASH}0/{KEY}",
    f"#/get/v1/{HASH}/{KEY}/extra",
    f"#/get/v1//{HASH}/{KEY}",
    f"#/get/{HASH}/{KEY}",
    f"#/get/{HASH}",
    # non-hex infohash, wrong encodings
    f"#/get/v1/{'g' * 40}/{KEY}",
    f"#/get/v1/{HASH[:-2]}zz/{KEY}",
    f"#/get/v1/{'%30' * 40}/{KEY}",
    f"#/get/v1/{HASH.replace('a', 'ａ')}/{KEY}",  # fullwidth letter
    f"#/get/v1/{HASH}/{KEY[:-1]}",
    f"#/get/v1/{HASH}/{KEY}A",
    f"#/get/v1/{HASH}/{KEY[:-1]}=",
    f"#/get/v1/{HASH}/{KEY[:-1]}+",
    f"#/get/v1/{HASH}/{KEY[:-1]}/",
    f"#/get/v1/{HASH}/{KEY[:-1]}F",  # non-canonical base64: trailing bits set
    f"#/get/v1/{HASH}/{'*' * 43}",
    f"#/get/v1/{HASH}/{base64.b64encode(bytes(range(32))).decode()}",  # padded std base64
    f"#/get/v1/{HASH}/{base64.urlsafe_b64encode(bytes(16)).decode().rstrip('=')}",  # 16-byte key
    f"#/get/v1/{HASH}/{KEY}%00",
    f"#/get/v1/{HASH}/{KEY[:20]}\u200b{KEY[20:]}",  # zero-width space
    # unknown versions
    f"#/get/v2/{HASH}/{KEY}",
    f"#/get/v0/{HASH}/{KEY}",
    f"#/get/v999/{HASH}/{KEY}",
    f"#/get/V1/{HASH}/{KEY}",
    f"#/get/1/{HASH}/{KEY}",
    # garbage and huge fragments
    "#/get/" + "A" * 5000,
    "#/get/v1/" + HASH + "/" + "B" * 100_000,
    "#/get/%",
    "#/get/%E0%A4%A",
    "#/get/\x00\x01\x02",
    "#/get/v1/\u202e" + HASH + "/" + KEY,  # right-to-left override
    "#/get/v1/ " + HASH + " /" + KEY,
    "#/get/🎙️/" + HASH,
    # injected HTML / JS
    "#/get/<script>window.__pwned=1</script>",
    "#/get/v1/<img src=x onerror=window.__pwned=1>/" + KEY,
    f"#/get/v1/{HASH}/<svg onload=window.__pwned=1>",
    '#/get/v1/"><script>window.__pwned=1</script>/' + KEY,
    "#/get/v1/javascript:window.__pwned=1/" + KEY,
    "#/get/javascript:alert(1)",
    "#/get/data:text/html,<script>window.__pwned=1</script>",
    "#/get/v1/" + HASH + "/javascript:window.__pwned=1",
    "#/get/v1/%3Cscript%3Ewindow.__pwned=1%3C%2Fscript%3E/" + KEY,
    "#/get/v1/{{constructor.constructor('window.__pwned=1')()}}/" + KEY,
    "#/get/v1/__proto__/" + KEY,
    "#/get/v1/" + HASH + "/__proto__",
    "#/get/../../memo/" + HASH,
    "#/get/v1/..%2F..%2F/" + KEY,
]
