"""A real FTP server for the netstack FTP client tests: pyftpdlib
(`python3 -m pip install pyftpdlib`), which no one here wrote.

Usage: ftp_server.py HOST ANON_DIR USER_DIR [--no-epsv]

- user "anonymous": read-only, home ANON_DIR;
- user "alice", password "secret": full write permissions, home USER_DIR;
- --no-epsv: the server does not know EPSV (answers 500), so the client
  must fall back to PASV.

Binds HOST on a port the OS chooses, prints that port on one line of
stdout (flushed), then serves until killed.
"""

import logging
import sys

try:
    from pyftpdlib.authorizers import DummyAuthorizer
    from pyftpdlib.handlers import FTPHandler
    from pyftpdlib.servers import FTPServer
except ImportError:
    print("NO-PYFTPDLIB", flush=True)
    sys.exit(3)


def main():
    host, anon_dir, user_dir = sys.argv[1:4]
    no_epsv = "--no-epsv" in sys.argv[4:]

    authorizer = DummyAuthorizer()
    authorizer.add_anonymous(anon_dir)
    authorizer.add_user("alice", "secret", user_dir, perm="elradfmwMT")

    class Handler(FTPHandler):
        pass

    Handler.authorizer = authorizer
    Handler.banner = "netstack test server (pyftpdlib) ready"
    # pyftpdlib waits 3 s before answering a failed login; the tests need not.
    Handler.auth_failed_timeout = 0.1
    if no_epsv:
        Handler.proto_cmds = {k: v for k, v in FTPHandler.proto_cmds.items() if k != "EPSV"}

    logging.basicConfig(level=logging.WARNING)
    server = FTPServer((host, 0), Handler)
    print(server.socket.getsockname()[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
