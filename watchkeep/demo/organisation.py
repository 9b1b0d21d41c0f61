"""The demo's organisation, seeded once into an empty database: people whose
emails match the fake Slack's, two teams, three services each with a two-step
escalation policy and SLA targets short enough to breach during a visit, a
rotating schedule with an override, a couple of the example runbooks, an
Events API v2 integration for "Trigger a sample alert", and incidents in
every state."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from watchkeep.core import accounts, incidents, services, teams, transitions
from watchkeep.core.actors import Actor
from watchkeep.core.models import Role, Source, Urgency
from watchkeep.ingest import integrations
from watchkeep.ingest.models import Integration, IntegrationType
from watchkeep.oncall import policies, schedules
from watchkeep.oncall.policies import StepSpec, TargetSpec
from watchkeep.oncall.schedules import LayerSpec
from watchkeep.runbooks import catalog
from watchkeep.runtime import Runtime

log = logging.getLogger(__name__)

ADMIN_EMAIL = "admin@example.com"
PEOPLE = (
    ("alice@example.com", "Alice Ng", Role.RESPONDER),
    ("bob@example.com", "Bob Osei", Role.RESPONDER),
    ("carol@example.com", "Carol Diaz", Role.VIEWER),
)
SAMPLE_ALERTS = "Demo alerts"
# Shipped beside the package in a source checkout; a wheel without them seeds none.
RUNBOOKS = Path(__file__).resolve().parents[2] / "examples" / "runbooks"
SEEDED_RUNBOOKS = ("war-room.yaml", "status-on-resolve.yaml")


def seed(runtime: Runtime, db: Session, admin: Actor) -> None:
    now = runtime.clock.now()
    people = {
        email: accounts.create_user(
            db, email=email, name=name, role=role, now=now, password=secrets.token_urlsafe(16)
        )
        for email, name, role in PEOPLE
    }
    alice, bob = people["alice@example.com"], people["bob@example.com"]
    sre = teams.create_team(
        db, name="SRE", now=now, description="Keeps the lights on", member_ids=[alice.id, bob.id]
    )
    # Both responders in both teams: either may take any incident from Slack.
    payments = teams.create_team(db, name="Payments", now=now, member_ids=[bob.id, alice.id])
    primary = _schedule(db, now, "SRE primary", [alice.id, bob.id], admin)
    checkout = services.create_service(
        db,
        name="checkout",
        now=now,
        description="Takes the money",
        team_id=payments.id,
        slack_channel="#incidents",
        ack_sla_minutes=3,
        resolve_sla_minutes=30,
    )
    api = services.create_service(
        db, name="public-api", now=now, team_id=sre.id, ack_sla_minutes=2, resolve_sla_minutes=20
    )
    search = services.create_service(
        db, name="search", now=now, team_id=sre.id, ack_sla_minutes=5, resolve_sla_minutes=60
    )
    for service in (checkout, api, search):
        policy = policies.create_policy(
            db,
            name=f"{service.name} escalation",
            now=now,
            description="The on-call first, then the team's lead",
            steps=[
                StepSpec(2, [TargetSpec("schedule", primary.id)]),
                StepSpec(5, [TargetSpec("user", bob.id)]),
            ],
        )
        policies.assign_policy(db, service, policy.id)
    integrations.create_integration(
        db,
        service_id=checkout.id,
        integration_type=IntegrationType.EVENTS_API_V2,
        name=SAMPLE_ALERTS,
        now=now,
    )
    _runbooks(db, now)
    _incidents(db, now, admin, people, checkout.id, api.id, search.id)


def _schedule(db: Session, now: datetime, name: str, user_ids: list[int], admin: Actor) -> object:
    """Daily handoffs at 09:00 between the two responders, and Bob covering the next hour."""
    start = (now - timedelta(days=7)).replace(hour=9, minute=0, second=0, microsecond=0)
    schedule = schedules.create_schedule(
        db,
        name=name,
        time_zone="Europe/London",
        now=now,
        description="Daily rotation, handoff at 09:00",
        layers=[LayerSpec("Weekdays and weekends", user_ids, 24, start.replace(tzinfo=None))],
    )
    schedules.add_override(
        db,
        schedule,
        user_id=user_ids[-1],
        start=now + timedelta(hours=1),
        end=now + timedelta(hours=3),
        actor=admin,
        now=now,
    )
    return schedule


def _runbooks(db: Session, now: datetime) -> None:
    for name in SEEDED_RUNBOOKS:
        path = RUNBOOKS / name
        if not path.exists():
            continue
        try:
            catalog.create_runbook(db, yaml.safe_load(path.read_text()), user_id=None, now=now)
        except Exception:  # an example this build cannot take is no reason to stop the demo
            log.exception("demo: runbook %s not seeded", name)


def _incidents(
    db: Session,
    now: datetime,
    admin: Actor,
    people: dict[str, object],
    checkout: int,
    api: int,
    search: int,
) -> None:
    monitor = Actor(name="Prometheus", source=Source.API)
    alice = Actor.for_user(people["alice@example.com"], Source.WEB)  # type: ignore[arg-type]
    incidents.create_incident(
        db,
        title="Checkout 502s above 5%",
        service_id=checkout,
        urgency=Urgency.HIGH,
        actor=monitor,
        now=now,
        description="The load balancer reports 502s from checkout-7f9c since 09:12.",
    )
    second, _ = incidents.create_incident(
        db,
        title="p99 latency over 800ms",
        service_id=api,
        urgency=Urgency.MEDIUM,
        actor=monitor,
        now=now,
    )
    transitions.acknowledge(db, second.id, alice, now=now)
    transitions.add_note(db, second.id, alice, now=now, text="Looking at the slow query log.")
    third, _ = incidents.create_incident(
        db,
        title="Index rebuild lagging",
        service_id=search,
        urgency=Urgency.LOW,
        actor=monitor,
        now=now,
    )
    transitions.snooze(db, third.id, alice, now=now, until=now + timedelta(minutes=30))
    fourth, _ = incidents.create_incident(
        db,
        title="Certificate renewal failed",
        service_id=api,
        urgency=Urgency.LOW,
        actor=admin,
        now=now,
    )
    transitions.resolve(db, fourth.id, admin, now=now, note="Renewed by hand; cron fixed.")


def sample_alert_key(db: Session, now: datetime) -> str | None:
    """A fresh key for the demo's Events API integration (keys are stored only as digests)."""
    integration = db.scalar(select(Integration).where(Integration.name == SAMPLE_ALERTS))
    if integration is None:
        return None
    return integrations.rotate(db, integration, now=now)
