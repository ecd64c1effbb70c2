"""Seedvox: voice memos in the browser, shared browser to browser over WebTorrent."""
