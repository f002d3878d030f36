#!/usr/bin/env python3
"""Memory per idle connection of `netstack serve`.

Usage: serve_idle.py PORT SERVER_PID CONNECTIONS [--request]

Opens CONNECTIONS connections to the server on 127.0.0.1:PORT and holds
them idle (with --request, after one keep-alive GET of /one.bin on each),
then prints the growth of the server's resident memory per connection and
checks that an ordinary request is still answered. Bounded: every socket
has a 30 s timeout.
"""
import socket
import sys
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise SystemExit(f"no such process: {pid}")


def get(port, keep_alive):
    conn = socket.create_connection(("127.0.0.1", port), timeout=30)
    connection = "keep-alive" if keep_alive else "close"
    conn.sendall(f"GET /one.bin HTTP/1.1\r\nHost: x\r\nConnection: {connection}\r\n\r\n".encode())
    reply = b""
    while b"\r\n\r\n" not in reply or len(reply.split(b"\r\n\r\n", 1)[1]) < 1024:
        chunk = conn.recv(65536)
        if not chunk:
            break
        reply += chunk
    assert reply.startswith(b"HTTP/1.1 200"), reply[:80]
    return conn


def main():
    port, pid, count = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    request = "--request" in sys.argv
    before = rss_kib(pid)
    held = []
    for _ in range(count):
        held.append(get(port, True) if request else socket.create_connection(("127.0.0.1", port), timeout=30))
    time.sleep(1.0)
    after = rss_kib(pid)
    what = "after one request each" if request else "fresh"
    print(f"{count} idle connections ({what}): server RSS {before} -> {after} KiB, "
          f"{(after - before) * 1024 / count:.0f} B per connection")
    get(port, False).close()
    print("an ordinary request is still answered")


if __name__ == "__main__":
    main()
