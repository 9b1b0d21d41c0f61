"""The `/api/v1` router, assembled from one router per resource."""

from fastapi import APIRouter

from watchkeep.api import (
    escalation_policies,
    incidents,
    integrations,
    oncall,
    schedules,
    services,
    slack_connection,
    teams,
    tokens,
    users,
)

router = APIRouter(prefix="/api/v1")
for module in (
    users,
    teams,
    services,
    integrations,
    incidents,
    schedules,
    oncall,
    escalation_policies,
    slack_connection,
    tokens,
):
    router.include_router(module.router)
