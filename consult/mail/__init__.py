"""The mail outbox: localized rendering, durable queue, and the sending worker."""
