"""The transactional outbox and the worker that drains it.

Every incident change enqueues its domain events in the same transaction as the
change; timers (snooze expiry, escalation steps, SLA deadlines) are rows with a
future due time. Workers claim due rows (leases, plus `FOR UPDATE SKIP LOCKED`
on PostgreSQL), run their handlers, retry with backoff and keep a failed row
with its error. A crash or an outage delays work; it never loses it.
"""
