"""Reads from a PostgreSQL streaming replica where a little delay is harmless (docs/operations.md, "Reads
from a replica").

With DATABASE_REPLICA_URL set, the views marked `@replica_reads` (the dashboards, the reports' exports)
read through the database alias "replica"; everything else — every write, and every page a user opens right
after acting (the ticket page, the lists) — stays on the primary, so that a user always sees their own
change. The replica is used only while it answers and replays within MUSANADA_REPLICA_MAX_LAG_SECONDS of the
primary: otherwise those views read the primary too. Its state is asked at most every few seconds per
process.
"""

import contextvars
import functools
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, connections

logger = logging.getLogger("musanada.replica")

REPLICA = "replica"
# How long a process trusts what it last learnt of the replica's state.
STATE_SECONDS = 5.0

_reading_from_replica: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "musanada_replica", default=False
)


def configured() -> bool:
    return REPLICA in settings.DATABASES


@dataclass(frozen=True)
class ReplicaState:
    # None: it did not answer.
    lag_seconds: float | None

    @property
    def usable(self) -> bool:
        return self.lag_seconds is not None and self.lag_seconds <= settings.MUSANADA_REPLICA_MAX_LAG_SECONDS


_known: tuple[float, ReplicaState] | None = None


def measure() -> ReplicaState:
    """Ask the replica how far behind the primary it replays (0 when it has replayed all it received)."""
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(
                "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
                "ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END"
            )
            lag = float(cursor.fetchone()[0])
    except DatabaseError:
        logger.warning("the replica does not answer: reading from the primary", exc_info=True)
        return ReplicaState(None)
    return ReplicaState(max(lag, 0.0))


def state() -> ReplicaState:
    """The replica's state as this process last measured it (at most STATE_SECONDS ago)."""
    global _known
    now = time.monotonic()
    if _known is None or now - _known[0] > STATE_SECONDS:
        _known = (now, measure())
    return _known[1]


def forget_state() -> None:
    """Measure again at the next question (tests, and after a failover)."""
    global _known
    _known = None


def replica_reads(view):
    """Let the view read from the replica (when one is configured and usable): for pages whose figures may be
    a few seconds old, never for what a user must see right after their own action. A streamed response
    (a CSV export) reads its rows from the replica too, while it is sent."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        use = configured() and state().usable
        token = _reading_from_replica.set(use)
        try:
            response = view(request, *args, **kwargs)
        finally:
            _reading_from_replica.reset(token)
        if use and getattr(response, "streaming", False):
            response.streaming_content = _streamed(response.streaming_content)
        return response

    return wrapped


def reading_from_replica() -> bool:
    """Whether the code running now reads from the replica."""
    return _reading_from_replica.get()


def _streamed(chunks):
    token = _reading_from_replica.set(True)
    try:
        yield from chunks
    finally:
        _reading_from_replica.reset(token)


class ReplicaRouter:
    """Reads go to the replica only inside a `@replica_reads` view; writes and migrations to the primary."""

    def db_for_read(self, model, **hints):
        return REPLICA if _reading_from_replica.get() else None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
