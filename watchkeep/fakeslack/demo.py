"""A small seeded workspace for the local sandbox (``watchkeep serve --demo``)."""

from __future__ import annotations

from .models import Workspace
from .state import SlackState


def seed_demo(state: SlackState, name: str = "Watchkeep Demo") -> Workspace:
    """A workspace with a few people and the channels an SRE team has."""
    ws = state.create_workspace(name, domain="watchkeep-demo")
    people = [
        state.add_user(ws, handle, email=f"{handle}@example.com", real_name=real)
        for handle, real in (("alice", "Alice Ng"), ("bob", "Bob Osei"), ("carol", "Carol Diaz"))
    ]
    state.add_channel(ws, "general", members=people)
    state.add_channel(ws, "incidents", members=people)
    state.add_channel(ws, "sre-oncall", private=True, bot_member=True, members=people[:2])
    state.add_channel(ws, "random", members=people)
    return ws
