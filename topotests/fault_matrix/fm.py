# SPDX-License-Identifier: GPL-2.0-or-later
"""Helpers of the fabric fault matrix (test_fault_fabric.py).

- FaultLab: scripts/vrslab.py's Lab plus what the faults need: kill -9 /
  SIGSTOP of the vnet-agent, nftables blocks of BGP (TCP 179) in a node's
  namespace, VM tables as {prefix: [next hops]}, RSS of the lab's
  processes, the vrs memory groups of a bgpd ("show memory").
- RouteMonitor: "ip -o monitor route" in the VNet fabric namespace, started
  before the faults and proven running by marker routes it must observe;
  counts the route events of the VMs' tables between two markers.
- Summary: numbers of every fault, logged and written as JSON.
"""

import ipaddress
import json
import os
import re
import signal
import subprocess
import threading
import time

import vrslab

MARKER_NET = ipaddress.ip_network("198.51.100.0/24")  # TEST-NET-2: never a real route
ROUTE_TYPES = ("unicast", "blackhole", "unreachable", "prohibit", "local",
               "broadcast", "multicast", "throw", "nat", "anycast")


class FaultLab(vrslab.Lab):
    """A lab with fault injection beyond vrslab.Lab.fail()."""

    def nft_table(self):
        return "fm{}".format(os.getpid())

    # ---------------------------------------------------------- agent
    def agent_pid(self):
        return self.state["pids"].get("agent")

    def stop_agent(self):
        """Freeze the agent (SIGSTOP): publishers' messages queue unread."""
        os.kill(self.agent_pid(), signal.SIGSTOP)

    def kill9_agent(self):
        """kill -9 the agent (also a stopped one); routes stay in the kernel."""
        self._kill("agent", signal.SIGKILL)

    def start_agent(self):
        self._start_agent()

    # ---------------------------------------------------------- BGP block
    def block_bgp(self, node):
        """Drop every TCP 179 packet in node's namespace (no RST: the peers
        see a silent, slow neighbor). nftables, this kernel has no netem."""
        t = self.nft_table()
        rules = ("add table inet {t}\n"
                 "add chain inet {t} in {{ type filter hook input priority -200; policy accept; }}\n"
                 "add chain inet {t} out {{ type filter hook output priority -200; policy accept; }}\n"
                 "add rule inet {t} in tcp dport 179 counter drop\n"
                 "add rule inet {t} in tcp sport 179 counter drop\n"
                 "add rule inet {t} out tcp dport 179 counter drop\n"
                 "add rule inet {t} out tcp sport 179 counter drop\n").format(t=t)
        vrslab.run(["ip", "netns", "exec", self.ns(node), "nft", "-f", "-"], input=rules)

    def unblock_bgp(self, node):
        vrslab.run(["ip", "netns", "exec", self.ns(node), "nft", "delete", "table", "inet",
                    self.nft_table()], check=False)

    def bgp_blocked_packets(self, node):
        """Packets the block dropped so far (proof that it was in the way)."""
        out = vrslab.run(["ip", "netns", "exec", self.ns(node), "nft", "list", "table", "inet",
                          self.nft_table()], check=False).stdout
        return sum(int(n) for n in re.findall(r"counter packets (\d+)", out))

    # ---------------------------------------------------------- tables
    def vm_routes(self, vm):
        """The agent's routes (proto 200) in a VM's table: {prefix: [next hops]},
        nexthop objects resolved ("nhid N" -> the gateways of its group)."""
        ns, table = self.vm_table(vm)
        return vrslab.table_nexthops(ns, table)

    def vm_tables(self, vms):
        return {vm: self.vm_routes(vm) for vm in vms}

    # ---------------------------------------------------------- BGP state
    def peer_state(self, node, peer):
        summ = self.vtysh_json(node, "show bgp ipv4 unicast summary json")
        return summ.get("peers", {}).get(peer, {}).get("state")

    def established(self, node, peers):
        summ = self.vtysh_json(node, "show bgp ipv4 unicast summary json")
        got = summ.get("peers", {})
        return all(got.get(p, {}).get("state") == "Established" for p in peers)

    def connections_established(self, node, peer):
        nb = self.vtysh_json(node, "show bgp neighbors {} json".format(peer))
        return nb.get(peer, {}).get("connectionsEstablished", 0)

    def fabric(self, node):
        return self.vtysh_json(node, "show route-server fabric json")

    def effective(self, node, vnet):
        """{prefix: [next hops]} of the Active routes node computes for vnet."""
        eff = self.vtysh_json(node, "show route-server effective-routes json")
        return {r["prefix"]: sorted(r.get("nextHops", []))
                for r in eff.get("vnets", {}).get(vnet, []) if r.get("state") == "Active"}

    # ---------------------------------------------------------- memory
    def rss_kib(self, key):
        """VmRSS of a lab process ("agent", "rs0/bgpd"), KiB; None if gone."""
        pid = self.state["pids"].get(key)
        try:
            with open("/proc/{}/status".format(pid)) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except (OSError, TypeError):
            pass
        return None

    def vrs_memory(self, node):
        """bgpd's "show memory" groups named vrs*: {group: {type: [count, bytes]}}."""
        out = self.vtysh(node, "show memory", daemon="bgpd")
        groups, group = {}, None
        for line in out.splitlines():
            m = re.match(r"^--- qmem (.+) ---$", line.strip())
            if m:
                group = m.group(1) if m.group(1).startswith("vrs") else None
                if group:
                    groups[group] = {}
                continue
            if group and ":" in line and not line.startswith("Type"):
                name, vals = line.rsplit(":", 1)
                f = vals.split()
                if len(f) >= 3 and f[0].isdigit() and f[2].isdigit():
                    groups[group][name.strip()] = [int(f[0]), int(f[2])]
        return groups


def memory_counts(groups):
    """{group/type: current count} of vrs_memory() output."""
    return {"{}/{}".format(g, t): v[0] for g, types in groups.items() for t, v in types.items()}


def counts_changed(before, after):
    """{group/type: [before, after]} of the counts that differ (a type
    "show memory" does not list has never been allocated: 0)."""
    b, a = memory_counts(before), memory_counts(after)
    return {k: [b.get(k, 0), a.get(k, 0)] for k in sorted(set(b) | set(a))
            if b.get(k, 0) != a.get(k, 0)}


def memory_bytes(groups):
    return sum(v[1] for types in groups.values() for v in types.values())


# -------------------------------------------------------------- monitor

def parse_nexthop(toks):
    """An `ip nexthop` line's tokens (after "id N") -> [(gateway or dev or
    "blackhole")] for a single object, or ("group", [ids]) for a group."""
    if "group" in toks:
        ids = toks[toks.index("group") + 1].split("/")
        return ("group", [int(m.split(",")[0]) for m in ids if m.split(",")[0].isdigit()])
    if "blackhole" in toks:
        return ["blackhole"]
    if "via" in toks:
        return [toks[toks.index("via") + 1]]
    if "dev" in toks:
        return [toks[toks.index("dev") + 1]]
    return ["?"]


def resolve(objs, nhid, depth=0):
    """Gateways of nexthop object nhid in the monitor's map of objects."""
    obj = objs.get(nhid)
    if obj is None or depth > 2:
        return ["nhid{}?".format(nhid)]
    if isinstance(obj, tuple):
        return sorted(g for m in obj[1] for g in resolve(objs, m, depth + 1))
    return list(obj)


class RouteEvent:
    """One line of "ip -o monitor route nexthop": a route of a table, or a
    nexthop object (table "nexthop"). A route that points at a nexthop
    object ("nhid N", the agent's form) is resolved to its gateways with the
    objects as they were when the line arrived (the kernel announces an
    object before the routes that use it); the line then ends with
    "[via G1 G2]"."""

    def __init__(self, t, line, objs=None):
        self.t = t
        self.line = line.strip()
        self.nexthops = None
        toks = self.line.split()
        self.deleted = bool(toks) and toks[0] == "Deleted"
        if self.deleted:
            toks = toks[1:]
        if toks and toks[0] == "id" and len(toks) > 1 and toks[1].isdigit():
            self.table = "nexthop"
            self.prefix = "nhid" + toks[1]
            self.nhid = int(toks[1])
            if objs is not None:
                if self.deleted:
                    objs.pop(self.nhid, None)
                else:
                    objs[self.nhid] = parse_nexthop(toks[2:])
            return
        self.nhid = None
        if toks and toks[0] in ROUTE_TYPES:
            toks = toks[1:]
        self.prefix = toks[0] if toks else ""
        if self.prefix == "default":
            self.prefix = "0.0.0.0/0"
        elif self.prefix and "/" not in self.prefix:
            self.prefix += "/32"
        self.table = "main"
        if "table" in toks:
            i = toks.index("table")
            if i + 1 < len(toks):
                self.table = toks[i + 1]
        if "nhid" in toks:
            i = toks.index("nhid")
            if i + 1 < len(toks) and toks[i + 1].isdigit():
                self.nhid = int(toks[i + 1])
                if objs is not None:
                    self.nexthops = resolve(objs, self.nhid)
                    self.line += " [via {}]".format(" ".join(self.nexthops))

    def is_marker(self):
        try:
            return ipaddress.ip_network(self.prefix, strict=False).subnet_of(MARKER_NET)
        except (ValueError, TypeError):
            return False

    def __repr__(self):
        return "{:.3f} {}".format(self.t, self.line.replace("\\", " ").replace("\t", ""))


class RouteMonitor:
    """"ip -o monitor route" in a namespace; events with their arrival time."""

    def __init__(self, ns, tables, marker_table):
        self.ns = ns
        self.tables = {str(t) for t in tables}
        self.marker_table = str(marker_table)
        self.events = []
        self.lock = threading.Lock()
        self.proc = None
        self.n_markers = 0
        self.objs = {}

    def start(self, timeout=10):
        # Routes and nexthop objects: the agent's routes point at objects
        # ("nhid N") and a failover may change a group, not a route.
        self.proc = subprocess.Popen(["ip", "-o", "-n", self.ns, "monitor", "route", "nexthop"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True, bufsize=1)
        # The objects that exist already (after the monitor started: a
        # later event of the monitor overrides a stale entry).
        for nhid, obj in vrslab.nexthop_objects(self.ns).items():
            if "group" in obj:
                self.objs.setdefault(nhid, ("group", [m["id"] for m in obj["group"]]))
            else:
                self.objs.setdefault(nhid, [g for g, _, _ in vrslab.resolve_nhid(nhid, {nhid: obj})])
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        # Proven running: it must observe a marker route's add and delete.
        # The monitor may subscribe after the first marker: retry.
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                return self.mark("start", timeout=1)
            except AssertionError:
                continue
        raise AssertionError("ip monitor route in {} observed no marker route".format(self.ns))

    def _read(self):
        for line in self.proc.stdout:
            ev = RouteEvent(time.monotonic(), line, self.objs)
            with self.lock:
                self.events.append(ev)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def mark(self, what, timeout=10):
        """Add and delete a marker route in the marker table, wait until the
        monitor saw both; returns the event index after the marker (so that
        everything before it has been read)."""
        assert self.running(), "route monitor is not running"
        self.n_markers += 1
        prefix = "{}/32".format(MARKER_NET.network_address + (self.n_markers % 250) + 1)
        for op in ("add", "del"):
            vrslab.run(["ip", "-n", self.ns, "route", op, "blackhole", prefix,
                        "table", self.marker_table])

        def seen():
            with self.lock:
                evs = list(enumerate(self.events))
            adds = [i for i, e in evs if e.prefix == prefix and not e.deleted]
            dels = [i for i, e in evs if e.prefix == prefix and e.deleted and adds and i > adds[-1]]
            return dels[-1] + 1 if dels else None

        idx, _ = vrslab.wait_for(seen, timeout=timeout, interval=0.01)
        assert idx, "route monitor did not observe marker {} ({})".format(prefix, what)
        return idx

    def between(self, start, end):
        """Events of the VM tables between two mark() indexes, no markers."""
        with self.lock:
            evs = self.events[start:end]
        return [e for e in evs if e.table in self.tables and not e.is_marker()]

    def nexthop_events(self, start, end=None):
        """Nexthop object events (created, replaced, deleted) between two
        mark() indexes: a group replaced in place changes the forwarding of
        every route that uses it without a route event."""
        with self.lock:
            evs = self.events[start:end]
        return [e for e in evs if e.table == "nexthop"]

    def since(self, start):
        with self.lock:
            evs = self.events[start:]
        return [e for e in evs if e.table in self.tables and not e.is_marker()]


def churn_by(events, table_names):
    """{vm: {prefix: n events}}; table_names maps table number -> VM name."""
    out = {}
    for e in events:
        vm = table_names.get(e.table, "table " + e.table)
        out.setdefault(vm, {}).setdefault(e.prefix, 0)
        out[vm][e.prefix] += 1
    return out


# -------------------------------------------------------------- summary

class Summary:
    """Numbers of each fault: logged and written to a JSON file."""

    def __init__(self, path, log):
        self.path = path
        self.log = log
        self.data = {}

    def put(self, fault, **numbers):
        self.data.setdefault(fault, {}).update(numbers)
        for k, v in numbers.items():
            self.log("fault-matrix {}: {} = {}".format(fault, k, json.dumps(v, sort_keys=True)))
        self.write()

    def write(self):
        if not self.path:
            return
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.data, f, indent=1, sort_keys=True)
        os.replace(tmp, self.path)
