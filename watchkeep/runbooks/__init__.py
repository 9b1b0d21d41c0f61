"""Runbooks: a team's response process, written once and run the same way every time.

Transport-neutral: this package knows incidents, teams and who is on call, never
Slack or HTTP.

- `models`: runbooks and their versions, runs and their steps, incident channels
  and update threads.
- `document`: the YAML/JSON document as users write it (the docs' verbatim
  `Action Type`/`Operation` keys, or the normalised snake_case form), validated
  into the normalised form the API answers with.
- `templates`: `[incident.*]` and `{{ incident.* }}` rendered in a sandbox;
  unknown variables are refused when a runbook is saved.
- `catalog`: create, update (a new version each save), list and delete runbooks.
- `triggers`: an event-bus subscriber starting runs whose trigger matches, and the
  repeat timer of status reminders.
- `engine`: the run state machine, one outbox job per step, in the run's order;
  the Slack adapter executes the steps (`StepExecutor`).
- `audience`: AddUsers (`@oncall`, `@<team>`, emails, Slack ids) resolved to people.
- `summary`: the post-incident summary.
- `visibility`: the runs someone may see (those on incidents they may see).
"""
