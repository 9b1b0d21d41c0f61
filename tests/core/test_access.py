"""The access rule itself, as SQL over a small organisation (`watchkeep.core.access`);
every adapter's use of it is `tests/access/test_access_everywhere.py`."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from watchkeep.core import accounts, services, teams
from watchkeep.core.access import (
    EVERYTHING,
    THROUGH_CHANNEL,
    UNMAPPED,
    Scope,
    incident_condition,
    visible_incident,
)
from watchkeep.core.actors import Actor
from watchkeep.core.errors import NotFoundError
from watchkeep.core.incidents import create_incident
from watchkeep.core.models import Incident, Role, Source, Urgency
from watchkeep.runtime import Runtime


def test_who_sees_which_service_and_incident(runtime: Runtime) -> None:
    now = runtime.clock.now()
    with runtime.db.write() as db:
        people = {
            name: accounts.create_user(
                db, email=f"{name}@example.com", name=name, role=role, now=now
            ).id
            for name, role in [
                ("ada", Role.ADMIN),
                ("mia", Role.RESPONDER),
                ("vic", Role.VIEWER),
                ("otto", Role.RESPONDER),
                ("noor", Role.RESPONDER),  # in no team
            ]
        }
        payments = teams.create_team(db, name="payments", now=now, member_ids=[people["mia"]])
        vault = teams.create_team(
            db, name="vault", now=now, private=True, member_ids=[people["vic"], people["mia"]]
        )
        teams.create_team(db, name="search", now=now, member_ids=[people["otto"]])
        vault_id = vault.id
        made = {}
        for name, team_id in (("checkout", payments.id), ("safe", vault_id), ("shared", None)):
            service = services.create_service(db, name=name, team_id=team_id, now=now)
            made[name] = create_incident(
                db,
                title=name,
                service_id=service.id,
                urgency=Urgency.HIGH,
                actor=Actor.system(),
                now=now,
            )[0].id

    def sees(scope: Scope) -> tuple[set[str], set[str]]:
        with runtime.db.read() as db:
            found = db.scalars(select(Incident.title).where(incident_condition(scope))).all()
            listed, _ = services.list_services(db, scope=scope, limit=10, offset=0)
            return set(found), {service.name for service in listed}

    def user(name: str, role: Role = Role.RESPONDER) -> Scope:
        return Scope.for_user(people[name], role)

    everything = {"checkout", "safe", "shared"}
    assert sees(user("ada", Role.ADMIN)) == (everything, everything)
    assert sees(EVERYTHING) == (everything, everything)
    assert sees(user("mia")) == (everything, everything)
    assert sees(user("vic", Role.VIEWER)) == ({"safe", "shared"}, everything)
    # Another team's incidents are hidden; a private team's services are not even listed.
    assert sees(user("otto")) == ({"shared"}, {"checkout", "shared"})
    assert sees(user("noor")) == ({"shared"}, {"checkout", "shared"})
    assert sees(UNMAPPED) == ({"shared"}, {"checkout", "shared"})
    assert sees(THROUGH_CHANNEL)[0] == set(), "a click grants one incident, never a list"
    unmapped = Actor(name="sam via Slack", source=Source.SLACK)
    assert Scope.for_actor(unmapped) == UNMAPPED

    with runtime.db.read() as db:
        assert visible_incident(db, THROUGH_CHANNEL, made["safe"]).title == "safe"
        assert visible_incident(db, user("mia"), made["safe"]).title == "safe"
        with pytest.raises(NotFoundError) as hidden:
            visible_incident(db, user("otto"), made["checkout"])
        assert str(hidden.value) == f"incident {made['checkout']} not found"
