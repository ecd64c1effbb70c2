"""PyScript entry point: everything lives in the seedvox package (unpacked from seedvox.zip)."""

from seedvox.main import start

await start()  # noqa: F704 - PyScript runs this file with top-level await
