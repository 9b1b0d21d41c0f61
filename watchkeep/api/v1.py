"""The `/api/v1` router, assembled from one router per resource."""

from fastapi import APIRouter

from watchkeep.api import incidents, integrations, services, teams, users

router = APIRouter(prefix="/api/v1")
for module in (users, teams, services, integrations, incidents):
    router.include_router(module.router)
