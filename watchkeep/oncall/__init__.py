"""On-call: schedules, escalation policies, the escalation engine and SLA timers.

- `rotation`: pure shift arithmetic (layers, restrictions, overrides, time zones).
- `schedules`: schedules in the database, and "who is on call" at any time.
- `policies`: escalation policies (ordered steps of users, schedules and teams).
- `escalation`: the engine. An EventBus subscriber starts, pauses, resumes and
  stops an incident's escalation; each step is a due row in the outbox, fired
  by a timer handler in the worker, so escalation survives restarts and runs
  once however many workers drain the outbox.
- `sla`: acknowledge and resolve targets, and the once-per-target breach timer.
- `wiring.register_oncall(runtime)`: plugs the subscribers and timers in.

Nothing here knows about Slack or HTTP: the engine records timeline entries and
domain events (`incident.escalated`, `incident.sla_breached`) whose `data` holds
what a notifier needs (who was paged, with names and emails).
"""
