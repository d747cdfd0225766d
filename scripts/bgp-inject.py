#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""scripts/bgp-inject.py send|recv PEER --as ASN --id ID --count N [--base A.B.C.0]

A minimal BGP-4 speaker for scripts/bench-propagation (IPv4 unicast,
4-byte AS). It connects to PEER:179 (retrying until the peer listens) and
reports on stdout, one line each, with CLOCK_MONOTONIC times:

  established         the session is up (OPEN and KEEPALIVE exchanged)
  sent N T            send: N prefixes written, after a "go" line on stdin
  done N T            recv: all N distinct prefixes of the range received

send: waits for "go" on stdin, then announces N /24 prefixes from --base
(AS path = own AS, next hop = the local address of the session) in full
UPDATEs, then End-of-RIB. recv: counts the distinct /24s of the range it
is announced (withdrawals remove them). Both keep the session up with
keepalives until stdin closes or SIGTERM.
"""

import argparse
import ipaddress
import os
import signal
import socket
import struct
import sys
import threading
import time

MARKER = b"\xff" * 16
OPEN, UPDATE, NOTIFICATION, KEEPALIVE = 1, 2, 3, 4
MAX_MSG = 4096
HOLD = 180
KEEPALIVE_S = 1.0  # short enough for any hold time a route server uses


def msg(mtype, body=b""):
    return MARKER + struct.pack("!HB", 19 + len(body), mtype) + body


def open_msg(asn, bgp_id):
    caps = (
        b"\x01\x04\x00\x01\x00\x01"  # multiprotocol IPv4 unicast
        + b"\x02\x00"  # route refresh
        + b"\x41\x04" + struct.pack("!I", asn)  # 4-byte AS
    )
    opt = b"\x02" + bytes([len(caps)]) + caps
    my_as = asn if asn < 65536 else 23456
    body = struct.pack("!BHH4sB", 4, my_as, HOLD, socket.inet_aton(bgp_id), len(opt)) + opt
    return msg(OPEN, body)


def read_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("peer closed the session")
        buf += chunk
    return bytes(buf)


class Reader:
    """Splits the byte stream of a session into BGP messages."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()

    def messages(self):
        """Messages available after one recv (blocking); [] never means EOF."""
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise EOFError("peer closed the session")
        self.buf += chunk
        out = []
        pos = 0
        while len(self.buf) - pos >= 19:
            length, mtype = struct.unpack_from("!HB", self.buf, pos + 16)
            if len(self.buf) - pos < length:
                break
            out.append((mtype, bytes(self.buf[pos + 19:pos + length])))
            pos += length
        del self.buf[:pos]
        return out


def connect(peer, timeout):
    deadline = time.monotonic() + timeout
    while True:
        try:
            return socket.create_connection((peer, 179), timeout=2)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def handshake(sock, reader, asn, bgp_id):
    sock.sendall(open_msg(asn, bgp_id))
    got_open = got_ka = False
    while not (got_open and got_ka):
        for mtype, body in reader.messages():
            if mtype == OPEN:
                got_open = True
                sock.sendall(msg(KEEPALIVE))
            elif mtype == KEEPALIVE:
                got_ka = True
            elif mtype == NOTIFICATION:
                raise EOFError("NOTIFICATION {}".format(body[:2].hex()))


def build_updates(asn, nexthop, base, count):
    """Full UPDATEs announcing count /24s from base, then End-of-RIB."""
    attrs = (
        b"\x40\x01\x01\x00"  # ORIGIN IGP
        + b"\x40\x02\x06\x02\x01" + struct.pack("!I", asn)  # AS_PATH (4-byte)
        + b"\x40\x03\x04" + socket.inet_aton(nexthop)  # NEXT_HOP
    )
    head = struct.pack("!H", 0) + struct.pack("!H", len(attrs)) + attrs
    per_msg = (MAX_MSG - 19 - len(head)) // 4
    first = int(ipaddress.IPv4Address(base)) >> 8
    out = []
    for start in range(0, count, per_msg):
        n = min(per_msg, count - start)
        nlri = b"".join(b"\x18" + ((first + i) & 0xFFFFFF).to_bytes(3, "big")
                        for i in range(start, start + n))
        out.append(msg(UPDATE, head + nlri))
    out.append(msg(UPDATE, struct.pack("!HH", 0, 0)))  # End-of-RIB
    return b"".join(out)


def keepalives(sock, lock, stop):
    while not stop.wait(KEEPALIVE_S):
        try:
            with lock:
                sock.sendall(msg(KEEPALIVE))
        except OSError:
            return


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def run_send(args, sock, reader, lock):
    data = build_updates(args.asn, sock.getsockname()[0], args.base, args.count)
    # Drain what the peer sends meanwhile (keepalives, its own routes).
    stop = threading.Event()

    def drain():
        try:
            while not stop.is_set():
                for mtype, body in reader.messages():
                    if mtype == NOTIFICATION:
                        say("notification {}".format(body[:2].hex()))
                        os.kill(os.getpid(), signal.SIGTERM)
        except (EOFError, OSError):
            os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=drain, daemon=True).start()
    line = sys.stdin.readline()
    if line.strip() != "go":
        return 0
    view = memoryview(data)
    step = 1 << 16
    for off in range(0, len(view), step):
        with lock:
            sock.sendall(view[off:off + step])
    say("sent {} {:.6f}".format(args.count, time.monotonic()))
    sys.stdin.read()  # until the harness closes stdin
    return 0


def run_recv(args, sock, reader):
    first = int(ipaddress.IPv4Address(args.base)) >> 8
    seen = bytearray(args.count)
    have = 0
    reported = False
    while True:
        for mtype, body in reader.messages():
            if mtype == NOTIFICATION:
                say("notification {}".format(body[:2].hex()))
                return 1
            if mtype != UPDATE:
                continue
            wlen = struct.unpack_from("!H", body, 0)[0]
            alen = struct.unpack_from("!H", body, 2 + wlen)[0]
            for part, sign in ((body[2:2 + wlen], -1), (body[4 + wlen + alen:], 1)):
                pos = 0
                while pos < len(part):
                    plen = part[pos]
                    nbytes = (plen + 7) // 8
                    if plen == 24:
                        idx = int.from_bytes(part[pos + 1:pos + 4], "big") - first
                        if 0 <= idx < args.count:
                            if sign > 0 and not seen[idx]:
                                seen[idx] = 1
                                have += 1
                            elif sign < 0 and seen[idx]:
                                seen[idx] = 0
                                have -= 1
                    pos += 1 + nbytes
        if have == args.count and not reported:
            say("done {} {:.6f}".format(have, time.monotonic()))
            reported = True


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=("send", "recv"))
    ap.add_argument("peer")
    ap.add_argument("--as", dest="asn", type=int, required=True)
    ap.add_argument("--id", required=True, help="BGP identifier")
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--base", default="32.0.0.0", help="first /24 (default 32.0.0.0)")
    ap.add_argument("--connect-timeout", type=float, default=60)
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    sock = connect(args.peer, args.connect_timeout)
    sock.settimeout(None)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    reader = Reader(sock)
    handshake(sock, reader, args.asn, args.id)
    lock = threading.Lock()
    stop = threading.Event()
    threading.Thread(target=keepalives, args=(sock, lock, stop), daemon=True).start()
    say("established")
    if args.mode == "send":
        return run_send(args, sock, reader, lock)
    # recv: stop when stdin closes (the harness is done with us).
    threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
    return run_recv(args, sock, reader)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (EOFError, OSError) as e:
        print("bgp-inject: {}".format(e), file=sys.stderr)
        sys.exit(1)
