"""Unique names of what admins configure (services, teams, escalation policies,
schedules): one rule for taken names and for patching a name and description."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchkeep.core.errors import ConflictError


def free_name(session: Session, model: type[Any], name: str, what: str) -> str:
    """`name` stripped, refused if another `model` row already has it."""
    name = name.strip()
    if session.scalar(select(model.id).where(model.name == name)) is not None:
        raise ConflictError(f"{what} named {name!r} already exists")
    return name


def rename(
    session: Session, row: Any, name: str | None, description: str | None, what: str
) -> None:
    """Apply a patch's name and description (None leaves each alone)."""
    if name is not None and name.strip() != row.name:
        row.name = free_name(session, type(row), name, what)
    if description is not None:
        row.description = description
