"""Thin Python faces of the JS adapters in web/js: each call awaits one JS promise."""
