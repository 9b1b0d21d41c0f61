"""Small seeded workspaces for the local sandbox (``watchkeep serve --demo``)."""

from __future__ import annotations

from .models import Workspace
from .state import SlackState


def seed_demo(state: SlackState, name: str = "Watchkeep Demo") -> Workspace:
    """A workspace with a few people and the channels an SRE team has; Dave's email
    belongs to no Watchkeep user (he acts as "Dave via Slack")."""
    ws = state.create_workspace(name, domain="watchkeep-demo")
    people = [
        state.add_user(ws, handle, email=email, real_name=real)
        for handle, email, real in (
            ("alice", "alice@example.com", "Alice Ng"),
            ("bob", "bob@example.com", "Bob Osei"),
            ("carol", "carol@example.com", "Carol Diaz"),
            ("dave", "dave@contractor.example", "Dave Park"),
        )
    ]
    state.add_channel(ws, "general", members=people)
    state.add_channel(ws, "incidents", members=people)
    state.add_channel(ws, "sre-oncall", private=True, bot_member=True, members=people[:2])
    state.add_channel(ws, "random", members=people)
    return ws


def seed_second(state: SlackState, name: str = "Globex Ops") -> Workspace:
    """A second workspace, as a company with two Slack workspaces has: Bob is in both."""
    ws = state.create_workspace(name, domain="globex-ops")
    people = [
        state.add_user(ws, "bob", email="bob@example.com", real_name="Bob Osei"),
        state.add_user(ws, "erin", email="erin@globex.example", real_name="Erin Shaw"),
    ]
    state.add_channel(ws, "general", members=people)
    state.add_channel(ws, "ops-alerts", members=people)
    return ws
