"""The Slack sandbox (`/sandbox`): the built-in fake Slack, drawn like Slack.

Available when Watchkeep's Slack is the fake it starts itself (`serve --demo`,
or `WATCHKEEP_SANDBOX=true`). `routes` owns the page and its forms, `reading`
what one Slack user sees, `blockkit` and `mrkdwn` how messages are drawn, and
`actor` the one way in to the fake's user agent, which turns every click,
modal, shortcut and slash command into the signed request Slack would send.
"""
