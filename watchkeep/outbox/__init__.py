"""The outbox: Watchkeep's bottom layer for work that must outlive a request.

It owns the table (`models`), its operations (`store`: enqueue in the caller's
transaction, claim under a lease, complete, retry, fail), the typed job kinds
(`kinds`) and ordering keys (`keys`) every package uses, the named queries
other packages ask of it (`queries`), and the event bus that fans domain
events out to subscribers (`bus`). Timers are rows with a future due time.
It imports nothing of Watchkeep but `db` and the clock.
"""

from watchkeep.outbox.kinds import JobKind
from watchkeep.outbox.store import Job, enqueue, enqueue_many

__all__ = ["Job", "JobKind", "enqueue", "enqueue_many"]
