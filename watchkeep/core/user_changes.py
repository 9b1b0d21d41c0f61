"""Telling in-process caches that users changed: after any commit that wrote a `User` row.

Caches of who a user is (the Slack actor cache) would otherwise serve a renamed,
demoted or disabled user as they were. Any write through the ORM (create, update,
delete) marks its session; when that session commits, every listener is called.
Listeners are held weakly, so a cache that is gone stops being called.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session, object_session

from watchkeep.core.models import User

_CHANGED = "watchkeep.users_changed"
_listeners: list[weakref.WeakMethod | weakref.ref] = []


def on_users_changed(listener: Callable[[], None]) -> None:
    """Call `listener` (held weakly) after every commit that wrote users."""
    is_method = hasattr(listener, "__self__")
    _listeners.append(weakref.WeakMethod(listener) if is_method else weakref.ref(listener))


def _mark(_mapper, _connection, user: User) -> None:
    session = object_session(user)
    if session is not None:
        session.info[_CHANGED] = True


def _after_commit(session: Session) -> None:
    if not session.info.pop(_CHANGED, False):
        return
    for ref in list(_listeners):
        listener = ref()
        if listener is None:
            with contextlib.suppress(ValueError):  # another thread removed it first
                _listeners.remove(ref)
        else:
            listener()


for _kind in ("after_insert", "after_update", "after_delete"):
    event.listen(User, _kind, _mark)
event.listen(Session, "after_commit", _after_commit)
