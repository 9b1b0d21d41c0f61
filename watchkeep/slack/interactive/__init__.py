"""Slack interactivity: signed requests from Slack (buttons, selects, modals, the
create-incident shortcut), turned into core transitions inside the request.

The route verifies the signature with the secret from the database, then hands
the payload to one Bolt `AsyncApp` built at start-up, with one small listener
per action. Listeners commit the change before Slack gets its answer; every
follow-up message goes through the outbox. The only Slack call made while
Slack waits is `views.open`, because a trigger_id lives three seconds.
"""
