"""Notification digests and their delivery through apprise."""
