"""Every user-visible string, per language. Views look strings up here and nowhere else."""

from __future__ import annotations

DEFAULT_LANGUAGE = "en"

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "app.name": "Seedvox",
        "boot.failed": "Seedvox could not start: {reason}",
        "boot.insecure": (
            "Seedvox needs a secure connection: open it over HTTPS (or on localhost). "
            "The microphone, offline use and sharing are not available on plain HTTP."
        ),
        "library.heading": "Voice memos",
        "library.empty": "No memos yet. Press Record to make your first one.",
        "library.recovered": "Recovered",
        "library.delete_all": "Delete all",
        "library.delete_all.confirm": "Delete all {count} memos? This cannot be undone.",
        "library.delete_all.ok": "Delete everything",
        "library.deleted_all": "All memos deleted.",
        "open.label": "Open a shared link",
        "open.hint": "Paste a link someone shared with you.",
        "open.button": "Open",
        "memo.default_title": "Memo {date}",
        "memo.untitled": "Untitled memo",
        "memo.not_found": "That memo is not in your library.",
        "memo.title": "Title",
        "memo.description": "Description",
        "memo.play": "Play",
        "memo.pause": "Pause",
        "memo.seek": "Seek",
        "memo.download": "Download",
        "memo.delete": "Delete",
        "memo.back": "Back to library",
        "memo.saved": "Saved.",
        "memo.deleted": "Memo deleted.",
        "memo.undo": "Undo",
        "memo.restored": "Memo restored.",
        "memo.recovered_note": "Recovered after the app was closed during recording.",
        "memo.play_failed": "This memo cannot be played in this browser ({reason}).",
        "record.record": "Record",
        "record.stop": "Stop",
        "record.level": "Input level",
        "record.saved": "Memo saved.",
        "record.too_short": "Nothing was recorded.",
        "record.unsupported": "This browser cannot record audio.",
        "record.denied": "Seedvox was not allowed to use the microphone.",
        "record.no_device": "No microphone was found.",
        "record.failed": "Recording failed: {reason}",
        "import.label": "Import audio file",
        "import.empty": "That file is empty; nothing was imported.",
        "import.not_audio": "That file is not audio Seedvox can play; nothing was imported.",
        "import.too_big": "That file is {size}, over the {limit} limit; nothing was imported.",
        "import.done": "Imported “{title}”.",
        "record.recovered": "Recovered {count} unfinished recording(s).",
        "record.storage_full": (
            "Your browser's storage is full, so the recording could not be kept here. "
            "Download it to keep it; your other memos are untouched."
        ),
        "record.storage_full_live": (
            "Your browser's storage is full. Recording goes on; you can download it when you stop."
        ),
        "record.download": "Download recording",
        "share.button": "Share",
        "share.link": "Share link",
        "share.copy": "Copy link",
        "share.copied": "Link copied.",
        "share.copy_failed": "Could not copy; select the link and copy it yourself.",
        "share.system": "Share…",
        "share.stop": "Stop sharing",
        "share.qr": "Show QR code",
        "share.qr_hide": "Hide QR code",
        "share.qr_alt": "QR code of the share link",
        "share.qr_failed": "Could not make the QR code: {reason}",
        "share.stopped": "Sharing stopped. The link no longer works.",
        "share.preparing": "Preparing the link…",
        "share.availability": (
            "The memo is available while Seedvox is open on this device. "
            "Anyone with the link can fetch it."
        ),
        "share.stats": "{peers} peer(s) connected · {uploaded} uploaded",
        "share.insecure": "Sharing needs a secure connection: open Seedvox over HTTPS.",
        "share.failed": "Could not share: {reason}",
        "fetch.heading": "Receiving a memo",
        "fetch.connecting": "Looking for the sharer…",
        "fetch.waiting": (
            "Waiting for the sharer: they must have Seedvox open on their device. Still trying…"
        ),
        "fetch.progress": "{percent}% · {speed}/s · {peers} peer(s)",
        "fetch.saving": "Checking and saving…",
        "fetch.done": "Memo received.",
        "fetch.cancel": "Cancel",
        "fetch.cancelled": "Cancelled. Nothing was saved.",
        "fetch.retry": "Try again",
        "fetch.progress_label": "Download progress",
        "fetch.size": "Size: {size}",
        "fetch.gave_up": (
            "Nobody is sharing this memo right now. Ask the sharer to open Seedvox, then try again."
        ),
        "fetch.too_big": "This memo is {size}, over the {limit} limit. Nothing was downloaded.",
        "fetch.bad_torrent": "This link does not point to a Seedvox memo. Nothing was saved.",
        "fetch.bad_link": "{reason}",
        "fetch.decrypt_failed": (
            "The memo could not be decrypted: the link's key does not fit, or the data was "
            "altered on the way."
        ),
        "fetch.corrupt": (
            "A device sent damaged data for this memo, so it was refused. Nothing was saved."
        ),
        "fetch.not_audio": "What arrived is not audio.",
        "fetch.storage_full": (
            "Your browser's storage is full, so the memo could not be kept here. "
            "Download it to keep it; your other memos are untouched."
        ),
        "fetch.already": "This memo is already in your library.",
        "fetch.open": "Open it",
        "fetch.insecure": "Receiving needs a secure connection: open Seedvox over HTTPS.",
        "fetch.invalid": "{reason} Nothing was saved.",
        "settings.heading": "Settings",
        "settings.version": "Version {version}",
        "settings.network": "Network",
        "settings.trackers": "Trackers",
        "settings.trackers_hint": (
            "WebSocket trackers introduce devices to each other; they never see audio. "
            "One wss:// address per line."
        ),
        "settings.ice": "STUN/TURN servers",
        "settings.ice_hint": (
            "Help devices behind strict networks connect. One per line: stun:host:port, "
            "or turn:host:port username credential."
        ),
        "settings.limit": "Largest memo to receive (MB)",
        "settings.save": "Save settings",
        "settings.reset": "Restore defaults",
        "settings.saved": "Settings saved. They apply to new shares and downloads.",
        "settings.about": "About",
        "settings.storage_persisted": "Memos are kept in persistent storage.",
        "settings.storage_best_effort": (
            "The browser may clear memos when space runs low. Install Seedvox to keep them."
        ),
        "update.available": "Update available",
        "update.reload": "Reload",
        "dialog.cancel": "Cancel",
        "error.generic": "Something went wrong: {reason}",
        "store.changed_elsewhere": "Seedvox was updated in another tab. Reload to continue.",
    },
}


def t(key: str, language: str = DEFAULT_LANGUAGE, **values: object) -> str:
    """The string for `key` in `language` (falling back to English), formatted with `values`."""
    table = STRINGS.get(language, STRINGS[DEFAULT_LANGUAGE])
    text = table.get(key) or STRINGS[DEFAULT_LANGUAGE][key]
    return text.format(**values) if values else text
