"""Transactions that PostgreSQL may abort for concurrency are retried, a few times.

A deadlock (SQLSTATE 40P01) or a serialization failure (40001) says nothing about the
request: the same transaction run again usually succeeds. ``retrying`` runs a write
function in its own transaction and runs it again (at most ``ATTEMPTS`` times, with a
short random pause) when PostgreSQL aborted it for one of those reasons; any other
error, or the last failure, propagates (the API answers 503 for it). Inside an outer
transaction nothing is retried: the outer one is already aborted and only its owner
can start again.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.db import OperationalError, connection, transaction

P = ParamSpec("P")
R = TypeVar("R")

ATTEMPTS = 3
RETRYABLE = {"40P01", "40001"}  # deadlock_detected, serialization_failure


def is_retryable(exc: BaseException) -> bool:
    """A deadlock or serialization failure reported by PostgreSQL."""
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) in RETRYABLE


def retrying(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` in a transaction of its own; retry it when PostgreSQL aborted it."""

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        if connection.in_atomic_block:
            with transaction.atomic():
                return func(*args, **kwargs)
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with transaction.atomic():
                    return func(*args, **kwargs)
            except OperationalError as exc:
                if attempt == ATTEMPTS or not is_retryable(exc):
                    raise
                time.sleep(random.uniform(0.005, 0.05) * attempt)  # noqa: S311 (jitter, not crypto)
        raise AssertionError("unreachable")

    return run
