#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Fault matrix of vnet-agent over its real socket.

The real vnet-agent (fabric protocol 2) programs the two slot tables of a
VNet in a real namespace (vrsfa-<pid>) from a real publisher (vnet-pub,
instance 0, keepalives every second; slot 1 fails over to it). Then:

(a) every message type and every malformed frame is sent in every session
    state (waiting for Hello, waiting for the first Snapshot, inside a
    chunked Snapshot, synchronised) by a small client that frames protobuf
    bytes by hand (instance 1, publishing no table); the agent must survive and
    answer exactly what its session table says (Ack/Hello, Error <code>, or
    a silent close);
(b) a flood keeps 200 connections open, reconnecting every one the agent
    evicts, while the publisher of instance 0 restarts: it must get in
    promptly, and the evictions are logged rate-limited;
(c) a client running as user nobody is refused (by the socket's mode, and
    by the agent's peer check when the mode is opened up).

`ip -4 -n NS monitor route nexthop rule`, proven running before the
faults by a marker route it must report, shows no event for the slot
tables' routes, the nexthop objects or the VM's rule in the end: the
faults cause no churn. Every wait polls; nothing sleeps.
"""

import json
import os
import selectors
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

import pytest

CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, ".."))

import vrstest  # noqa: E402
from lib.topolog import logger  # noqa: E402

AGENT = os.path.join(vrstest.BUILD, "agent", "vnet-agent")
PUB = os.path.join(vrstest.BUILD, "agent", "vnet-pub")

PID = os.getpid()
NS = "vrsfa-{}".format(PID)
HOSTIF, NSIF = "vfa{}h".format(PID), "vfa{}n".format(PID)
MARKER_TABLE = 250
SLOT_TABLES = (100, 101)

ROUTES = {
    "instance": "rs1-0", "instanceId": 0, "keepaliveMs": 1000,
    "tables": {"spoke": [
        {"prefix": "10.2.0.0/16",
         "nextHops": ["10.1.1.10", {"address": "10.1.1.11", "weight": 2}]},
        {"prefix": "0.0.0.0/0", "source": "default", "nextHops": ["10.1.1.10"]},
        {"prefix": "192.168.99.0/24", "nextHopType": "none"},
    ]},
}
VM_PREFIXES = ("10.2.0.0", "default", "192.168.99.0")

# Error codes (lib/fabric/vrs_fabric_codec.h, enum vrs_fabric_err).
MALFORMED, VERSION, SEQUENCE, STATE, DUPLICATE, TIMEOUT, SHUTDOWN, LIMIT, \
    UNEXPECTED = range(1, 10)

# ---------------------------------------------------------------------------
# Protobuf by hand (python3-protobuf is not available)


def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def field_varint(num, v):
    return varint(num << 3) + varint(v)


def field_bytes(num, b):
    return varint(num << 3 | 2) + varint(len(b)) + b


PROTOCOL_VERSION = 2


def envelope(msg_field, body, version=PROTOCOL_VERSION):
    return field_varint(1, version) + field_bytes(msg_field, body)


def frame(payload):
    return struct.pack(">I", len(payload)) + payload


HELLO, SNAPSHOT, UPDATE, KEEPALIVE, ACK, ERROR = range(2, 8)
NAMES = {HELLO: "Hello", SNAPSHOT: "Snapshot", UPDATE: "Update",
         KEEPALIVE: "Keepalive", ACK: "Ack", ERROR: "Error"}


def hello_msg():
    return frame(envelope(HELLO, field_varint(1, PROTOCOL_VERSION) + field_varint(2, 1) +
                          field_bytes(3, b"fault-1") + field_varint(4, 1) +
                          field_varint(6, 1000)))


def snapshot_msg(seq, more=False):
    # No table: instance 1 has none for the VNet, both slots keep
    # drawing from instance 0 (nothing changes in the kernel).
    return frame(envelope(SNAPSHOT, field_varint(1, seq) +
                          (field_varint(3, 1) if more else b"")))


def update_msg(seq):
    # removed_tables: a VNet this agent does not serve
    return frame(envelope(UPDATE, field_varint(1, seq) +
                          field_bytes(3, b"vnet-not-here")))


def keepalive_msg(seq):
    return frame(envelope(KEEPALIVE, field_varint(1, seq)))


def ack_msg(seq):
    return frame(envelope(ACK, field_varint(1, seq)))


def error_msg():
    return frame(envelope(ERROR, field_varint(1, SHUTDOWN) +
                          field_bytes(2, b"publisher gives up")))


def parse_fields(buf):
    """Top-level fields of a protobuf message: {num: value} (last wins)."""
    out, off = {}, 0
    while off < len(buf):
        key, off = read_varint(buf, off)
        num, wt = key >> 3, key & 7
        if wt == 0:
            out[num], off = read_varint(buf, off)
        elif wt == 2:
            n, off = read_varint(buf, off)
            out[num] = buf[off:off + n]
            off += n
        else:
            raise ValueError("wire type {}".format(wt))
    return out


def read_varint(buf, off):
    v, shift = 0, 0
    while True:
        b = buf[off]
        off += 1
        v |= (b & 0x7F) << shift
        if not b & 0x80:
            return v, off
        shift += 7


def decode_reply(payload):
    """("Error", code) | ("Ack", seq) | ("Hello", None) from the agent."""
    env = parse_fields(payload)
    for num in range(HELLO, ERROR + 1):
        if num in env:
            body = parse_fields(env[num])
            if num == ERROR:
                return ("Error", body.get(1, 0), body.get(2, b"").decode())
            if num == ACK:
                return ("Ack", body.get(1, 0), "")
            return (NAMES[num], None, "")
    return ("?", None, "")


# ---------------------------------------------------------------------------
# Environment


class Env:
    tmp = None
    sock = None
    agent = None
    agent_log = None
    pub = None
    monitor = None
    monitor_log = None
    baseline = None


env = Env()


def run(cmd, check=True):
    return subprocess.run(cmd, check=check, capture_output=True, text=True)


def ip_ns(*args, check=True):
    return run(["ip", "-n", NS] + list(args), check=check)


def slot_routes():
    return "".join(ip_ns("-4", "route", "show", "table", str(t)).stdout for t in SLOT_TABLES)


def vm_routes():
    """The slot tables' routes, the agent's nexthop objects and rules."""
    return slot_routes() + ip_ns("nexthop", "show").stdout + ip_ns("-4", "rule", "show").stdout


def status():
    out = run([AGENT, "--status", "--socket", env.sock], check=False).stdout
    try:
        return json.loads(out)
    except ValueError:
        return {}


def wait_for(pred, timeout=15.0, interval=0.05):
    """Polls pred (the project's poll, vrstest.wait_for); returns its last
    value (truthy on success, the last falsy one for the message)."""
    v, _ = vrstest.wait_for(pred, timeout=timeout, interval=interval)
    return v if v else pred()


def agent_alive():
    return env.agent.poll() is None and "agent" in status()


def start_publisher():
    env.pub = subprocess.Popen(
        [PUB, "--socket", env.sock, "--file", os.path.join(env.tmp, "a.json"),
         "--hold", "3600", "-q"],
        stdout=subprocess.DEVNULL, stderr=open(os.path.join(env.tmp, "pub.log"), "a"))


def stop_publisher():
    env.pub.terminate()
    env.pub.wait(timeout=10)


def marker(prefix):
    """(Re)adds a marker route until the monitor reported it."""
    def seen():
        ip_ns("route", "del", "blackhole", prefix, "table", str(MARKER_TABLE), check=False)
        ip_ns("route", "add", "blackhole", prefix, "table", str(MARKER_TABLE))
        return wait_for(lambda: prefix.split("/")[0] in open(env.monitor_log).read(), 1.0)
    return wait_for(seen, 10.0, 0)


def setup_module(mod):
    env.tmp = tempfile.mkdtemp(prefix="vrs-fault-agent-")
    os.chmod(env.tmp, 0o755)  # (c): user nobody must reach the socket path
    env.sock = os.path.join(env.tmp, "agent.sock")
    with open(os.path.join(env.tmp, "a.json"), "w") as f:
        json.dump(ROUTES, f)
    run(["ip", "netns", "add", NS])
    run(["ip", "link", "add", HOSTIF, "type", "veth", "peer", "name", NSIF])
    run(["ip", "link", "set", NSIF, "netns", NS])
    run(["ip", "link", "set", HOSTIF, "up"])
    ip_ns("link", "set", "lo", "up")
    ip_ns("link", "set", NSIF, "up")
    ip_ns("addr", "add", "10.1.1.2/24", "dev", NSIF)
    env.agent_log = os.path.join(env.tmp, "agent.log")
    env.agent = subprocess.Popen(
        [AGENT, "--socket", env.sock, "--vnet", "spoke={},tables={}:{}".format(NS, *SLOT_TABLES),
         "--vm", "vm1=spoke,ip=10.1.1.5", "--grace", "60"],
        stdout=subprocess.DEVNULL, stderr=open(env.agent_log, "w"))
    assert wait_for(lambda: os.path.exists(env.sock + ".status")), "agent did not start"


def teardown_module(mod):
    for p in (env.pub, env.monitor, env.agent):
        if p is not None and p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
    run(["ip", "netns", "del", NS], check=False)
    run(["ip", "link", "del", HOSTIF], check=False)
    if env.tmp:
        shutil.rmtree(env.tmp, ignore_errors=True)


# ---------------------------------------------------------------------------
# Tests


def test_publisher_programs_vm():
    start_publisher()
    assert wait_for(lambda: all(slot_routes().count(p) == 2 for p in VM_PREFIXES)), vm_routes()
    assert "via 10.1.1.11 " in ip_ns("nexthop", "show").stdout
    assert "from 10.1.1.5 lookup" in ip_ns("-4", "rule", "show").stdout
    assert wait_for(lambda: status().get("publishers", {}).get("0", {}).get("connected"))
    env.baseline = vm_routes()
    # The monitor is proven running before any fault: it reports a marker.
    env.monitor_log = os.path.join(env.tmp, "monitor.log")
    env.monitor = subprocess.Popen(["ip", "-4", "-n", NS, "monitor", "route", "nexthop", "rule"],
                                   stdout=open(env.monitor_log, "w"),
                                   stderr=subprocess.STDOUT)
    assert marker("198.51.100.0/25"), "ip monitor does not report routes"


class Client:
    """One connection of the hand-framing client."""

    def __init__(self):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(10)
        self.s.connect(env.sock)
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def read_frame(self):
        """A reply payload, or None at EOF."""
        while True:
            if len(self.buf) >= 4:
                n = struct.unpack(">I", self.buf[:4])[0]
                if len(self.buf) >= 4 + n:
                    p, self.buf = self.buf[4:4 + n], self.buf[4 + n:]
                    return p
            try:
                d = self.s.recv(65536)
            except ConnectionResetError:
                d = b""
            if not d:
                return None
            self.buf += d

    def expect(self, name, value=None):
        p = self.read_frame()
        assert p is not None, "agent closed, expected {}".format(name)
        got = decode_reply(p)
        assert got[0] == name and (value is None or got[1] == value), got

    def close(self):
        self.s.close()


def instance1_free():
    return wait_for(lambda: status().get("publishers", {}).get("1", {}).get("connected") is False)


def enter_state(state):
    """A client whose session is in state (instance 1), and the next seq."""
    assert instance1_free(), "instance 1 still connected"
    c = Client()
    if state == "wait-hello":
        return c, 1
    c.send(hello_msg())
    c.expect("Hello")
    if state == "wait-snapshot":
        return c, 1
    c.send(snapshot_msg(1, more=(state == "in-snapshot")))
    if state == "synced":
        c.expect("Ack", 1)
    return c, 2


# What the session table says (agent side), per state and message.
TABLE = {
    "wait-hello": {"hello": ("Hello",), "snapshot": ("Error", STATE),
                   "update": ("Error", STATE), "keepalive": ("Error", STATE),
                   "ack": ("Error", UNEXPECTED), "error": ("Error", STATE)},
    "wait-snapshot": {"hello": ("Error", STATE), "snapshot": ("Ack",),
                      "update": ("Error", STATE), "keepalive": ("Ack",),
                      "ack": ("Error", UNEXPECTED), "error": ("close",)},
    "in-snapshot": {"hello": ("Error", STATE), "snapshot": ("Ack",),
                    "update": ("Error", STATE), "keepalive": ("Ack",),
                    "ack": ("Error", UNEXPECTED), "error": ("close",)},
    "synced": {"hello": ("Error", STATE), "snapshot": ("Ack",),
               "update": ("Ack",), "keepalive": ("Ack",),
               "ack": ("Error", UNEXPECTED), "error": ("close",)},
}
# Malformed frames: the same answer in every state.
MALFORMED_KINDS = {
    "garbage": ("Error", MALFORMED),
    "no-message": ("Error", MALFORMED),
    "zero-length": ("Error", MALFORMED),
    "version": ("Error", VERSION),
    "v1-hello": ("Error", VERSION),
    "oversize": ("Error", LIMIT),
    "truncated": ("close",),
    "stale-seq": None,  # filled per state below
}
STATES = list(TABLE)
CASES = [(st, k) for st in STATES for k in list(TABLE[st]) + list(MALFORMED_KINDS)]


def message(kind, seq):
    return {
        "hello": lambda: hello_msg(),
        "snapshot": lambda: snapshot_msg(seq),
        "update": lambda: update_msg(seq),
        "keepalive": lambda: keepalive_msg(seq),
        "ack": lambda: ack_msg(seq),
        "error": lambda: error_msg(),
        "garbage": lambda: b"\x00\x00\x00\x08\xde\xad\xbe\xef\xff\xff\xff\xff",
        "no-message": lambda: frame(field_varint(1, 1)),
        "zero-length": lambda: b"\x00\x00\x00\x00",
        "version": lambda: frame(envelope(KEEPALIVE, field_varint(1, seq), version=1)),
        # a version 1 publisher's Hello (Envelope and Hello version 1)
        "v1-hello": lambda: frame(envelope(HELLO, field_varint(1, 1) + field_varint(2, 1) +
                                           field_bytes(3, b"fault-v1") + field_varint(4, 1),
                                           version=1)),
        "oversize": lambda: b"\x7f\xff\xff\xff\x01\x02\x03",
        "truncated": lambda: b"\x00\x00\x00\x64\x08\x01\x2a",
        "stale-seq": lambda: keepalive_msg(max(seq - 1, 1)),
    }[kind]()


@pytest.mark.parametrize("state,kind", CASES, ids=["{}-{}".format(*c) for c in CASES])
def test_fault_matrix(state, kind):
    want = TABLE[state].get(kind) or MALFORMED_KINDS[kind]
    if kind == "stale-seq":
        # A Keepalive with a seq already used: sequence error once a seq was
        # seen; before Hello the table refuses it first.
        want = {"wait-hello": ("Error", STATE), "wait-snapshot": ("Ack",)}.get(
            state, ("Error", SEQUENCE))
    assert agent_alive(), "agent is not running"
    errors_before = status()["publishers"]["1"]["errors"]
    c, seq = enter_state(state)
    c.send(message(kind, seq))
    if kind == "truncated":
        c.s.shutdown(socket.SHUT_WR)
    if want[0] == "close":
        assert c.read_frame() is None, "agent answered, expected a silent close"
    elif want[0] == "Error":
        p = c.read_frame()
        assert p is not None, "agent closed without Error {}".format(want[1])
        got = decode_reply(p)
        assert got[:2] == want, "got {}, table says {}".format(got, want)
        assert c.read_frame() is None, "connection not closed after Error"
    else:
        c.expect(*want)
    c.close()
    assert agent_alive(), "agent died"
    assert vm_routes() == env.baseline, "VM routes changed"
    if want[0] == "Error" and state != "wait-hello":
        assert wait_for(lambda: status()["publishers"]["1"]["errors"] > errors_before)


def test_flood_publisher_gets_in():
    stop = threading.Event()
    opened = [0]
    held = []

    def flood():
        sel = selectors.DefaultSelector()

        def connect():
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(2)
            try:
                s.connect(env.sock)
            except OSError:
                s.close()
                return
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ)
            opened[0] += 1

        while not stop.is_set():
            while len(sel.get_map()) < 200 and not stop.is_set():
                connect()
            for key, _ in sel.select(timeout=0.1):
                try:
                    d = key.fileobj.recv(4096)
                except OSError:
                    d = b""
                if not d:  # evicted: come back at once
                    sel.unregister(key.fileobj)
                    key.fileobj.close()
            held[:] = [len(sel.get_map())]
        for key in list(sel.get_map().values()):
            key.fileobj.close()

    t = threading.Thread(target=flood)
    started = time.monotonic()
    t.start()
    try:
        assert wait_for(lambda: opened[0] >= 200, 30), "flood did not open 200 connections"
        stop_publisher()
        assert wait_for(lambda: status()["publishers"]["0"]["connected"] is False)
        t0 = time.monotonic()
        start_publisher()
        assert wait_for(lambda: status()["publishers"]["0"]["connected"], 10), \
            "publisher locked out by the flood: {}".format(
                open(os.path.join(env.tmp, "pub.log")).read()[-600:])
        took = time.monotonic() - t0
        assert took < 5, "publisher got in after {:.1f} s".format(took)
        # Its snapshot is applied while the flood goes on.
        assert wait_for(lambda: status()["vms"]["vm1"]["instanceInUse"] == 0)
        st = status()["agent"]
        logger.info("flood: %d connections opened, publisher in after %.3f s, agent %s",
                    opened[0], took, st)
        assert st["evictedConnections"] >= 100, st
        assert st["connectionsWithoutHello"] <= 16, st
    finally:
        stop.set()
        t.join(30)
    assert agent_alive()
    assert vm_routes() == env.baseline
    # Evictions are logged rate-limited (one line per 5 s with a count).
    lines = [ln for ln in open(env.agent_log) if "evicting the oldest" in ln]
    assert 1 <= len(lines) <= 2 + (time.monotonic() - started) / 5, lines


NOBODY_CLIENT = r"""
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
try:
    s.connect(sys.argv[1])
except PermissionError:
    print("EACCES"); sys.exit(0)
try:
    s.sendall(bytes.fromhex(sys.argv[2]))
    d = s.recv(65536)
except (BrokenPipeError, ConnectionResetError):
    d = b""
print("ANSWER" if d else "CLOSED")
"""


def nobody(*args):
    return run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                "/usr/bin/python3", "-c", NOBODY_CLIENT, env.sock] + list(args)).stdout.strip()


def test_unprivileged_refused():
    assert nobody(hello_msg().hex()) == "EACCES", "socket mode lets nobody connect"
    refused = status()["agent"]["refusedPeers"]
    os.chmod(env.sock, 0o666)  # a misconfiguration: the peer check still holds
    try:
        assert nobody(hello_msg().hex()) == "CLOSED"
    finally:
        os.chmod(env.sock, 0o600)
    assert wait_for(lambda: status()["agent"]["refusedPeers"] == refused + 1)
    assert "refused a connection from uid 65534" in open(env.agent_log).read()
    assert status()["publishers"]["1"]["connected"] is False
    assert agent_alive()
    assert vm_routes() == env.baseline


def test_no_route_churn():
    """The monitor saw the markers and nothing of the VM's routes."""
    assert marker("198.51.100.128/25"), "ip monitor stopped reporting"
    env.monitor.terminate()
    env.monitor.wait(timeout=10)
    log = open(env.monitor_log).read()
    churn = [ln for ln in log.splitlines()
             if ln and not ln.startswith((" ", "\t")) and "198.51.100." not in ln]
    assert not churn, "route churn during the faults:\n" + "\n".join(churn)
    assert vm_routes() == env.baseline
    assert agent_alive()
