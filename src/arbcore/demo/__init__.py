"""The demo: the real engine trading against the in-process simulator, with a live view."""
