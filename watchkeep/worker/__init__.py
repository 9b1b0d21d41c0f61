"""The worker: the loop that drains the outbox, and the contract of a job handler.

Workers claim due rows (leases, plus `FOR UPDATE SKIP LOCKED` on PostgreSQL),
run their handlers in a pool, retry with capped backoff and keep a failed row
with its error. A crash or an outage delays work; it never loses it. Which
handler runs which job kind is assembled at start-up (`Handlers`); the worker
knows no domain.
"""
