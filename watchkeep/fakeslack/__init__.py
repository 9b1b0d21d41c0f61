"""A fake Slack Web API for tests and the local sandbox.

This package owns an in-process stand-in for ``https://slack.com/api/``
faithful to Slack's wire format: the real ``slack_sdk`` clients talk to it
over HTTP. It models workspaces, tokens, users, channels, messages, modals,
OAuth codes, Block Kit limits and rate limits, records every call, and can
inject failures. It does not send anything *to* the app (no events or
interactivity payloads).

    with FakeSlackServer() as slack:
        ws = slack.state.create_workspace("Acme")
        slack.state.add_channel(ws, "incidents")
        slack.client(ws.token).chat_postMessage(channel="#incidents", text="hi")
        assert slack.state.messages_in("#incidents")[0].text == "hi"
"""

from .app import create_app
from .clock import Clock, FakeClock, SystemClock
from .demo import seed_demo
from .errors import RateLimited, SlackError
from .faults import Faults
from .models import Call, Channel, Ephemeral, Message, User, View, Workspace
from .ratelimit import RateLimitConfig, RateLimiter
from .server import FakeSlackServer, main
from .state import DEFAULT_SCOPES, SlackState

__all__ = [
    "DEFAULT_SCOPES",
    "Call",
    "Channel",
    "Clock",
    "Ephemeral",
    "FakeClock",
    "FakeSlackServer",
    "Faults",
    "Message",
    "RateLimitConfig",
    "RateLimited",
    "RateLimiter",
    "SlackError",
    "SlackState",
    "SystemClock",
    "User",
    "View",
    "Workspace",
    "create_app",
    "main",
    "seed_demo",
]
