#!/usr/bin/env python3
"""Ordinary requests against `netstack serve` while slow clients dribble heads.

Usage: serve_slowloris.py PORT SLOW_CONNECTIONS

Opens SLOW_CONNECTIONS connections that send a request head one byte per
second, times 100 ordinary GETs of /one.bin meanwhile (median and
maximum), then waits (at most 20 s) for the server to close every slow
connection and prints when it did, counted from when they opened.
"""
import select
import socket
import sys
import threading
import time


def main():
    port, count = int(sys.argv[1]), int(sys.argv[2])
    opened = time.time()
    slow = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(count)]
    for conn in slow:
        conn.setblocking(False)
    closed = {}
    done = threading.Event()

    def dribble():
        head = b"GET /one.bin HTTP/1.1\r\nHost: x\r\n"
        for at in range(len(head)):
            if done.is_set():
                return
            for conn in slow:
                if conn.fileno() not in closed:
                    try:
                        conn.send(head[at:at + 1])
                    except OSError:
                        pass
            time.sleep(1.0)

    dribbler = threading.Thread(target=dribble)
    dribbler.start()
    latencies = []
    for _ in range(100):
        started = time.time()
        conn = socket.create_connection(("127.0.0.1", port), timeout=30)
        conn.sendall(b"GET /one.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        reply = b""
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            reply += chunk
        assert reply.startswith(b"HTTP/1.1 200"), reply[:80]
        latencies.append(time.time() - started)
        time.sleep(0.05)
    latencies.sort()
    print(f"100 ordinary requests during {count} dribbling heads: "
          f"median {latencies[50] * 1000:.2f} ms, max {latencies[-1] * 1000:.2f} ms")
    deadline = time.time() + 20
    while time.time() < deadline and len(closed) < count:
        readable, _, _ = select.select([c for c in slow if c.fileno() not in closed], [], [], 0.2)
        for conn in readable:
            try:
                data = conn.recv(65536)
            except OSError:
                data = b""
            if not data or b" 408 " in data:
                closed[conn.fileno()] = time.time() - opened
    done.set()
    dribbler.join()
    times = sorted(closed.values())
    print(f"slow connections closed by the server: {len(times)} of {count}, "
          f"first after {times[0]:.2f} s, last after {times[-1]:.2f} s" if times else "none closed")


if __name__ == "__main__":
    main()
