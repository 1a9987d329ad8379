"""The baseline: a bare relay that sends every text frame it receives to every other socket.

No auth, no persistence, no channel layer: what a websocket fan-out costs in Python on this
machine, measured under the same load as the stack. Run: `python -m bench.relay --port N`.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from websockets.asyncio.server import ServerConnection, broadcast, serve

CONNECTIONS: set[ServerConnection] = set()


async def relay(websocket: ServerConnection) -> None:
    CONNECTIONS.add(websocket)
    try:
        async for message in websocket:
            broadcast(CONNECTIONS - {websocket}, message)
    finally:
        CONNECTIONS.discard(websocket)


async def main(port: int) -> None:
    stop = asyncio.get_running_loop().create_future()
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set_result, None)
    async with serve(relay, "127.0.0.1", port, max_size=2**20, ping_interval=None):
        await stop


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    try:  # the same event loop as uvicorn uses for the stack
        import uvloop

        uvloop.run(main(port))
    except ImportError:
        asyncio.run(main(port))
