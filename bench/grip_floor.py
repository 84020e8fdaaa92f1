"""The floor of figure 4's Pushpin set-ups: a trivial GRIP origin, a few lines of asyncio.

Answers every request with ``Grip-Hold: stream`` on channel ``floor`` and a fixed first
event (the same opening padding and event shape as the app's), ``/healthz`` with 200;
HTTP/1.1 keep-alive, no framework. Publishing is done by the bench, once, straight to
Pushpin. What is left is Pushpin and the load client alone.

    python bench/grip_floor.py PORT
"""

from __future__ import annotations

import asyncio
import sys

OPENING = ":" + " " * 2048 + "\n\n"
FIRST = 'event: message\ndata: {"org_id": "floor", "record_count": 0, "is_complete": false, "timestamp": "x"}\n\n'
BODY = (OPENING + FIRST).encode()
HOLD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nGrip-Hold: stream\r\nGrip-Channel: floor\r\n"
    b"Grip-Keep-Alive: : keep-alive\\n\\n; format=cstring; timeout=20\r\n"
    b"Content-Length: " + str(len(BODY)).encode() + b"\r\n\r\n" + BODY
)
HEALTHY = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"


async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            writer.write(HEALTHY if head.split(b" ", 2)[1].startswith(b"/healthz") else HOLD)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, IndexError):
        pass
    finally:
        writer.close()


async def main(port: int) -> None:
    server = await asyncio.start_server(serve, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
