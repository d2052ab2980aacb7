"""Notification digests and their delivery through apprise.

- `digest`: `render_digest` turns one recipient's new items into a `Digest` (title and plain-text
  body) from jinja2 templates a service can override;
- `delivery`: `deliver` sends a digest to each of a lead's apprise URLs and reports each failure
  as one redacted line; `check_url` validates a URL without sending.

The local receiver that tests and the demo deliver to is `permanence.webhook_receiver`: it is
not a channel, so it lives outside this package.
"""
