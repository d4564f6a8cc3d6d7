"""Shared transport: HTTP and WebSocket sessions, rate limiting, signing helpers."""
