"""Slash commands (`/watchkeep incidents | oncall | status | create | ack | resolve |
snooze | help`): parsed from the signed form body, answered within Slack's three
seconds, ephemeral by default, in Block Kit.

Bolt is not used here: Bolt 1.30 reads any form body containing the word
"payload" as an interaction and loses the command, so the form is parsed with
`parse_qsl` and dispatched by this package.
"""
