#!/usr/bin/env python3
"""TLS handshakes per second against one server, with SNI: full handshakes
(a new session each time) or resumed ones (the first connection's session
offered again). Python's ssl module (OpenSSL) as the client; each handshake
is a new TCP connection that is closed once the handshake is done (TLS 1.3:
after reading the session ticket, which needs one read).

    tls_handshakes.py HOST PORT SNI CAFILE SECONDS full|resumed [tls1.2|tls1.3]

Prints one JSON line: {"mode", "version", "handshakes", "seconds", "per_second", "resumed"}.
"""
import json
import socket
import ssl
import sys
import time


def main():
    host, port, sni, cafile, seconds, mode = sys.argv[1:7]
    version = sys.argv[7] if len(sys.argv) > 7 else "tls1.3"
    ctx = ssl.create_default_context(cafile=cafile)
    v = ssl.TLSVersion.TLSv1_3 if version == "tls1.3" else ssl.TLSVersion.TLSv1_2
    ctx.minimum_version = v
    ctx.maximum_version = v
    port, seconds = int(port), float(seconds)
    session = None
    done = resumed = 0
    end = time.monotonic() + seconds
    started = time.monotonic()
    while time.monotonic() < end:
        with socket.create_connection((host, port)) as raw:
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            offer = session if mode == "resumed" else None
            with ctx.wrap_socket(raw, server_hostname=sni, session=offer) as tls:
                if version == "tls1.3":
                    # The ticket arrives after the handshake: a request
                    # brings it (and shows the connection works).
                    tls.sendall(b"GET / HTTP/1.1\r\nHost: " + sni.encode() + b"\r\nConnection: close\r\n\r\n")
                    tls.recv(1)
                done += 1
                resumed += tls.session_reused
                if session is None or mode == "resumed" and not tls.session_reused:
                    session = tls.session
    elapsed = time.monotonic() - started
    print(json.dumps({"mode": mode, "version": version, "handshakes": done, "seconds": round(elapsed, 2),
                      "per_second": round(done / elapsed, 1), "resumed": resumed}))


if __name__ == "__main__":
    main()
