"""Boot (temporary probe)."""


async def start() -> None:
    from pyscript.js_modules import platform

    platform.markReady()
