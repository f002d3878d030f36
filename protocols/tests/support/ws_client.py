"""A WebSocket client for netstack's server tests, on Python's `websockets`.

argv: URL, and "deflate" to offer permessage-deflate. Runs a fixed
conversation with an echo server and prints one line per step; prints
NO-WEBSOCKETS when the package is missing.
"""
import asyncio
import sys

try:
    from websockets.asyncio.client import connect
except ImportError:
    print("NO-WEBSOCKETS", flush=True)
    sys.exit(0)


async def main():
    async with connect(
        sys.argv[1], subprotocols=["superchat", "chat"], max_size=None,
        compression="deflate" if sys.argv[2:] == ["deflate"] else None,
        ping_interval=None, open_timeout=10, close_timeout=10,
    ) as ws:
        print("protocol", ws.subprotocol, flush=True)
        if ws.response.headers.get("Sec-WebSocket-Extensions"):
            print("extensions", ws.response.headers["Sec-WebSocket-Extensions"], flush=True)
        await ws.send("hello, wörld")
        print("text", await ws.recv(), flush=True)
        await ws.send(bytes(range(256)))
        echoed = await ws.recv()
        print("binary", len(echoed), echoed == bytes(range(256)), flush=True)
        await ws.send(["frag", "men", "ted"])
        print("text", await ws.recv(), flush=True)
        pong = await ws.ping(b"still there?")
        await asyncio.wait_for(pong, 10)
        print("pong", flush=True)
        big = bytes(i % 251 for i in range(16 << 20))
        await ws.send(big)
        echoed = await ws.recv()
        print("big", len(echoed), echoed == big, flush=True)
        await ws.close(1000, "done")
        print("closed", ws.close_code, flush=True)


asyncio.run(asyncio.wait_for(main(), 60))
