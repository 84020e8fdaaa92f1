"""A TCP proxy the tests control, between the app and PostgreSQL or Redis.

Outages are simulated here, never by stopping the machine's services (other test runs
share them): ``down()`` closes the listening port and aborts every open connection, as
a restarting server would; ``drop()`` aborts the open connections only (a network blip
mid-transaction); ``blackhole()`` accepts connections but forwards nothing (a hung
network, where only timeouts help); ``freeze()`` does the same without closing the open
connections (a silent partition: only heartbeats notice); ``up()`` brings it all back.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Coroutine
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TcpProxy:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self.accepted = 0
        self._server: asyncio.Server | None = None
        self._transports: set[asyncio.WriteTransport] = set()
        self._forward = True
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.up()

    def _call(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)

    # --- controls -------------------------------------------------------------------

    def up(self) -> None:
        """Listen and forward (again)."""
        self._forward = True
        self._call(self._listen())

    def down(self) -> None:
        """Refuse new connections and abort the open ones: the service is gone."""
        self._call(self._stop_listening())
        self.drop()

    def drop(self) -> None:
        """Abort every open connection (both sides see a reset); keep listening."""
        self._call(self._abort_all())

    def blackhole(self) -> None:
        """Accept connections but forward nothing; open connections are aborted."""
        self._forward = False
        self.drop()

    def freeze(self) -> None:
        """Forward nothing, on open and new connections alike, and close nothing."""
        self._forward = False

    def close(self) -> None:
        self.down()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    # --- inside the loop --------------------------------------------------------------

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True)

    async def _stop_listening(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    async def _abort_all(self) -> None:
        for transport in list(self._transports):
            transport.abort()
        self._transports.clear()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        self._transports.add(writer.transport)
        if not self._forward:
            await reader.read()  # hold the connection open, answer nothing
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._transports.add(up_writer.transport)
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                if not self._forward:
                    continue  # frozen: the bytes are lost, the connection stays open
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self._transports.discard(writer.transport)  # type: ignore[arg-type]
            with contextlib.suppress(Exception):
                writer.close()
