"""Bounded database waits: a hung PostgreSQL link becomes an error, never a hang.

The server enforces ``statement_timeout``, ``lock_timeout`` and
``idle_in_transaction_session_timeout`` (set per connection in settings), but its
error has to travel back over the link. When the link freezes (a partition, a stuck
middlebox, a hung host whose kernel still ACKs) nothing comes back and psycopg would
wait on the socket forever; TCP keepalives do not help while the peer's kernel still
answers them. So the client bounds every wait too:

- :class:`GuardedConnection` (the pool's ``connection_class``) gives each blocking
  wait on the socket (a query, a fetch, COMMIT, ROLLBACK) a deadline of
  ``DB_STATEMENT_TIMEOUT`` + :data:`CLIENT_MARGIN` seconds, by when the server's own
  timeout has had its chance (the pool's check of an idle connection gets
  :data:`CHECK_DEADLINE`). When it expires the connection
  is closed (so the pool discards it, never hands it out again) and
  ``OperationalError`` is raised: a 503 problem in the API, "unavailable" in
  ``/healthz``. All in the calling thread: no timer thread, no lock, no race with a
  connection that finished in the meantime. No cancel request is sent: the server has
  cancelled the statement itself (statement_timeout), and a link that lost the answer
  would most likely lose the cancel as well.
- :func:`client_timeout` shortens (or lifts) that deadline for a block (``/healthz``).
- :func:`long_running` / :func:`long_running_command` lift the web's limits for a
  management command's session (``DB_COMMAND_STATEMENT_TIMEOUT``, 0 = none).

On SQLite none of this does anything.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

import psycopg
from django.conf import settings
from django.db import DatabaseError, connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from psycopg import errors

# Seconds the client waits beyond the server's statement_timeout before it gives up on
# the link: enough for the server's "canceling statement" error to arrive.
CLIENT_MARGIN = 2.0
# Seconds the pool's check of an idle connection may take (see GuardedConnection.execute).
CHECK_DEADLINE = 2.0

# The client deadline in force in this context: seconds, 0 for none, None for the default.
_client_deadline: ContextVar[float | None] = ContextVar("db_client_deadline", default=None)
# The server-side limit a long-running block asked for (seconds, 0 = none), if any.
_command_timeout: ContextVar[float | None] = ContextVar("db_command_timeout", default=None)

P = ParamSpec("P")
R = TypeVar("R")


def _default_deadline() -> float:
    statement = float(getattr(settings, "DB_STATEMENT_TIMEOUT", 0))
    return statement + CLIENT_MARGIN if statement > 0 else 0.0


def current_deadline() -> float:
    """Seconds any single wait on the database may take in this context; 0 = unbounded."""
    deadline = _client_deadline.get()
    return _default_deadline() if deadline is None else deadline


class GuardedConnection(psycopg.Connection[Any]):
    """A psycopg connection whose every wait on the server is bounded (see the module doc)."""

    def execute(self, query: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(query, str) and not query:
            # psycopg_pool's check of an idle connection before handing it out (Django
            # runs no empty query): one empty round trip, which a live server answers in
            # a millisecond. Bounded by CHECK_DEADLINE rather than the statement's
            # deadline, so a frozen link fails it quickly and the request falls back to
            # waiting for a fresh connection within DB_POOL_TIMEOUT.
            deadline = current_deadline()
            with client_timeout(min(deadline, CHECK_DEADLINE) if deadline > 0 else CHECK_DEADLINE):
                return super().execute(query, *args, **kwargs)
        return super().execute(query, *args, **kwargs)

    def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        deadline = current_deadline()
        if timeout is not None or deadline <= 0:
            return super().wait(gen, interval, timeout)
        try:
            return super().wait(gen, interval, deadline)
        except errors._WaitTimeout:
            # The protocol is mid-exchange and its answer may still arrive: the
            # connection is unusable. Closing it marks it BAD, so the pool drops it and
            # opens a fresh one; Django's rollback or close on it fails at once.
            self.pgconn.finish()
            raise psycopg.OperationalError(
                f"no answer from the database within {deadline:g} s: connection closed"
            ) from None


@contextlib.contextmanager
def client_timeout(seconds: float) -> Iterator[None]:
    """Bound each database wait in this block to ``seconds`` (0 = no bound)."""
    token = _client_deadline.set(seconds)
    try:
        yield
    finally:
        _client_deadline.reset(token)


def _set_session_limits(conn: BaseDatabaseWrapper, seconds: float | None) -> None:
    """SET (or with None, RESET to the connection's startup options) the session's limits."""
    with conn.cursor() as cursor:
        if seconds is None:
            # reset_val: what RESET would restore, i.e. the connection's startup options.
            cursor.execute(
                "SELECT set_config(name, reset_val, false) FROM pg_settings"
                " WHERE name IN ('statement_timeout', 'lock_timeout')"
            )
        else:
            ms = str(round(seconds * 1000))
            cursor.execute(
                "SELECT set_config('statement_timeout', %s, false), set_config('lock_timeout', %s, false)", [ms, ms]
            )


def _on_connection_created(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    # A connection made inside long_running() (the command reconnected) gets its limits too.
    seconds = _command_timeout.get()
    if seconds is not None and connection.vendor == "postgresql":
        _set_session_limits(connection, seconds)


connection_created.connect(_on_connection_created, dispatch_uid="lib.db.long_running")


@contextlib.contextmanager
def long_running(seconds: float | None = None) -> Iterator[None]:
    """Lift the web's statement and lock timeouts for this block's database session.

    For management commands that legitimately run long statements (imports,
    re-aggregation). ``seconds`` defaults to ``DB_COMMAND_STATEMENT_TIMEOUT`` (0: no
    limit). The client-side deadline follows (the limit + the margin, or none). The
    idle-in-transaction timeout stays: a command idle in a transaction for a minute is
    stuck, and its row locks would block the web. On leaving, the session's limits are
    reset to the connection's startup options (pooled connections must not keep them).
    """
    if seconds is None:
        seconds = float(getattr(settings, "DB_COMMAND_STATEMENT_TIMEOUT", 0))
    command_token = _command_timeout.set(seconds)
    deadline_token = _client_deadline.set(seconds + CLIENT_MARGIN if seconds > 0 else 0.0)
    postgres = connection.vendor == "postgresql"
    try:
        if postgres:
            _set_session_limits(connection, seconds)
        yield
    finally:
        _command_timeout.reset(command_token)
        _client_deadline.reset(deadline_token)
        if postgres and connection.connection is not None:
            # Never mask the command's own error (a broken connection, a failed transaction).
            with contextlib.suppress(DatabaseError):
                _set_session_limits(connection, None)


def long_running_command(handle: Callable[P, R]) -> Callable[P, R]:
    """Decorate a command's ``handle`` to run it inside :func:`long_running`."""

    @functools.wraps(handle)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with long_running():
            return handle(*args, **kwargs)

    return wrapper
