"""A fake Slack Web API for tests and the local sandbox.

This package owns an in-process stand-in for ``https://slack.com/api/``
faithful to Slack's wire format: the real ``slack_sdk`` clients talk to it
over HTTP. It models workspaces, tokens, users, channels, messages, modals,
OAuth codes, Block Kit limits and rate limits, records every call, and can
inject failures. Its ``SlackUserAgent`` plays the people: it presses the real
buttons of messages the app posted, submits the modals the app opened, runs
shortcuts and slash commands, pins and reacts to messages, joins channels and
opens the app's Home tab, and sends the app the signed requests Slack would send
(Events API deliveries, retried as Slack retries them, included). Over HTTP
(``http_sender``), or as Socket Mode
envelopes on a WebSocket the app opened with an app-level token
(``socket_sender(state.sockets)``). It also keeps user groups (``usergroups.*``), and
``persist`` keeps a sandbox's world in a file across restarts.

    with FakeSlackServer() as slack:
        ws = slack.state.create_workspace("Acme")
        slack.state.add_channel(ws, "incidents")
        slack.client(ws.token).chat_postMessage(channel="#incidents", text="hi")
        assert slack.state.messages_in("#incidents")[0].text == "hi"
        agent = slack.user_agent(send=http_sender("http://127.0.0.1:8080"))
"""

from .agent import SlackUserAgent, http_sender
from .app import create_app
from .clock import Clock, FakeClock, SystemClock
from .demo import seed_demo, seed_second
from .elements import ImpossibleInteraction
from .errors import RateLimited, SlackError
from .events import EventDelivery
from .faults import Faults
from .models import Call, Channel, Ephemeral, Message, User, View, Workspace
from .ratelimit import RateLimitConfig, RateLimiter
from .server import FakeSlackServer, main
from .signing import Reply, SignedRequest, sign
from .sockets import NotConnected, SocketHub, socket_sender
from .state import DEFAULT_SCOPES, SlackState

__all__ = [
    "DEFAULT_SCOPES",
    "Call",
    "Channel",
    "Clock",
    "Ephemeral",
    "EventDelivery",
    "FakeClock",
    "FakeSlackServer",
    "Faults",
    "ImpossibleInteraction",
    "Message",
    "NotConnected",
    "RateLimitConfig",
    "RateLimited",
    "RateLimiter",
    "Reply",
    "SignedRequest",
    "SlackError",
    "SlackState",
    "SlackUserAgent",
    "SocketHub",
    "SystemClock",
    "User",
    "View",
    "Workspace",
    "create_app",
    "http_sender",
    "main",
    "seed_demo",
    "seed_second",
    "sign",
    "socket_sender",
]
