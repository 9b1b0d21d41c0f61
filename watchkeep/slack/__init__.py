"""The Slack adapter: workspaces and their settings, routing, rich incident
messages, and their delivery through the outbox with Slack's rate limits.

The core never imports this package; it subscribes to domain events.
"""
