"""A lock that lets only one run of a command work at a time, across processes."""

from __future__ import annotations

import fcntl
import hashlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection


def _key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def _path(name: str, key: int) -> Path:
    return Path(tempfile.gettempdir()) / f"bufdir-{name}-{key & 0xFFFFFFFF:x}.lock"


def is_held(name: str) -> bool:
    """Whether some process (this one included) holds ``single_run(name)`` right now.

    A lock dies with its holder (the connection, or the process's open file), so a
    False here for work still marked as running means its process is gone.
    """
    key = _key(name)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            got = bool(cursor.fetchone()[0])
            if got:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
        return not got
    path = _path(name, key)
    if not path.exists():
        return False
    with path.open("a") as handle:  # a separate open file: flock conflicts even in-process
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


@contextmanager
def single_run(name: str) -> Iterator[bool]:
    """Yield True if this process holds the lock for ``name``, False if another does.

    PostgreSQL: a session advisory lock (held by the command's connection, released
    when it ends or dies). Elsewhere: an exclusive flock on a file in the temp dir.
    """
    key = _key(name)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            got = bool(cursor.fetchone()[0])
        try:
            yield got
        finally:
            if got:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
        return
    path = _path(name, key)
    with path.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
