"""Slack's Events API: what Slack tells Watchkeep happened in a workspace.

`receive` takes an `event_callback` from the one dispatch HTTP and Socket Mode
share (`POST /api/slack/events`, or an `events_api` envelope): it records the
event's id and queues its work in one transaction, and Slack gets its answer at
once. The worker then does the work (`work`): a pinned or 📌-reacted message
becomes a note (`notes`), a member joining an incident channel goes on the
timeline, and opening the app's Home tab publishes that person's view (`home`).
"""
