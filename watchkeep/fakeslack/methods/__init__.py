"""The Web API methods the fake serves, by name (``REGISTRY``)."""

from . import auth, chat, conversations, history, users, views
from .base import REGISTRY, Context, MethodSpec

__all__ = [
    "REGISTRY",
    "Context",
    "MethodSpec",
    "auth",
    "chat",
    "conversations",
    "history",
    "users",
    "views",
]
