"""Every mapped model, imported in one place so that migrations see the whole schema."""

from watchkeep.core import connector_models
from watchkeep.core import models as core_models
from watchkeep.db.base import Base
from watchkeep.ingest import models as ingest_models
from watchkeep.oncall import models as oncall_models
from watchkeep.outbox import models as outbox_models
from watchkeep.runbooks import models as runbook_models
from watchkeep.slack import models as slack_models
from watchkeep.slack import oauth_states

__all__ = [
    "Base",
    "connector_models",
    "core_models",
    "ingest_models",
    "oauth_states",
    "oncall_models",
    "outbox_models",
    "runbook_models",
    "slack_models",
]
