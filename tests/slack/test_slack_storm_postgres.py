"""The storm digest and the resolution summary on PostgreSQL: the same stories."""

from __future__ import annotations

import pytest
from test_slack_messages import test_the_resolution_sums_up_the_incident
from test_slack_storm import test_the_digest_grows_with_the_storm_and_a_later_storm_gets_its_own

from watchkeep.runtime import Runtime

pytestmark = pytest.mark.postgres

__all__ = [
    "test_the_digest_grows_with_the_storm_and_a_later_storm_gets_its_own",
    "test_the_resolution_sums_up_the_incident",
]


@pytest.fixture
def runtime(pg_runtime: Runtime) -> Runtime:
    return pg_runtime
