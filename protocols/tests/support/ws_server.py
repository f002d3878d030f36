"""A WebSocket server for netstack's client tests, on Python's `websockets`.

argv: host, and for wss:// a certificate and a key file (PEM). Prints its port, or NO-WEBSOCKETS when the package is missing.
Paths: /echo echoes every message; /fragments sends one text message in
three fragments; /ping pings the client and reports the pong as a text
message; /close closes with 4001 "bye" after the first message it gets;
anything else is refused with 404. permessage-deflate is accepted when
offered, with the package's defaults.
"""
import asyncio
import ssl
import sys

try:
    from websockets.asyncio.server import serve
    from websockets.http11 import Response
    from websockets.datastructures import Headers
except ImportError:
    print("NO-WEBSOCKETS", flush=True)
    sys.exit(0)


async def handler(ws):
    path = ws.request.path
    if path == "/echo":
        async for message in ws:
            await ws.send(message)
    elif path == "/fragments":
        await ws.send(["frag", "men", "ted é"])
        await ws.wait_closed()
    elif path == "/ping":
        pong = await ws.ping(b"are you there")
        await asyncio.wait_for(pong, 10)
        await ws.send("pong received")
        await ws.wait_closed()
    elif path == "/close":
        await ws.recv()
        await ws.close(4001, "bye")


def refuse_unknown(connection, request):
    if request.path not in ("/echo", "/fragments", "/ping", "/close"):
        return Response(404, "Not Found", Headers([("Content-Length", "0")]), b"")
    return None


async def main():
    tls = None
    if len(sys.argv) > 3:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(sys.argv[2], sys.argv[3])
    async with serve(
        handler,
        sys.argv[1],
        0,
        subprotocols=["chat", "superchat"],
        select_subprotocol=lambda conn, offered: next(
            (p for p in offered if p in ("chat", "superchat")), None
        ),
        process_request=refuse_unknown,
        ping_interval=None,
        max_size=None,
        compression="deflate",
        ssl=tls,
    ) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()


asyncio.run(main())
