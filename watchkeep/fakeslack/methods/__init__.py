"""The Web API methods the fake serves, by name (``REGISTRY``)."""

from . import apps, auth, chat, conversations, history, pins, usergroups, users, views
from .base import REGISTRY, Context, MethodSpec

__all__ = [
    "REGISTRY",
    "Context",
    "MethodSpec",
    "apps",
    "auth",
    "chat",
    "conversations",
    "history",
    "pins",
    "usergroups",
    "users",
    "views",
]
