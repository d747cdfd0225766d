# SPDX-License-Identifier: GPL-2.0-or-later
"""vrslab: bring a topology of configs/<name>/ up in network namespaces.

A topology is configs/<name>/topology.json plus per-node FRR configs in
configs/<name>/<node>/{zebra,bfdd,bgpd,staticd}.conf. The same description
is used by the topotests (topotests/vrstest.py builds a topogen topology
from it), so the lab and the tests never drift apart.

VNets ("vnets" in the topology) are emulated as fabrics: one namespace per
VNet with a bridge that the VNet's nodes attach to (default gateway: the
VNet's first address), veth links between peered VNets carrying the
peering's system routes, and per-VM routing tables selected by source
address. A vnet-agent (agent/) programs each VM's table with the
effective routes that the route-server instances publish; system routes
(the VNet and its peerings) are in the fabric's main table, which is
consulted first without its default route, so they win over BGP routes as
in the cloud.

Everything the lab creates is recorded in a state file
(/run/vrs-lab/<name>.json): namespaces by name, daemons by pid. "down"
removes exactly those, also after a crash of a previous run.
"""

import ipaddress
import json
import os
import re
import shutil
import signal
import subprocess
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIGS = os.path.join(TOP, "configs")
STATE_DIR = os.environ.get("VRS_LAB_STATE", "/run/vrs-lab")
FRR_DIR = "/usr/lib/frr"
KINDS = ("router", "host", "vm")
VM_TABLE_BASE = 100
DAEMONS = ("zebra", "staticd", "bfdd", "bgpd")
MODULES = {"rs": "bgpd_rs.so", "nva": "bgpd_nva.so"}
NAME_RE = re.compile(r"^[a-z][a-z0-9]{0,7}$")


class LabError(Exception):
    """A problem the user can fix; the message says what and where."""


def _jtype(value):
    """The JSON name of a parsed value's type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def build_dir():
    return os.environ.get("VRS_BUILD", os.path.join(TOP, "build"))


def vtysh_path():
    return os.path.join(build_dir(), "plugins", "vtysh", "vtysh")


def module_path(mod):
    return os.path.join(build_dir(), "plugins", "bgpd", MODULES[mod])


def sanitizer_env(prog):
    """VRS_SANITIZE=1 (scripts/sanitize, an ASan/UBSan build in VRS_BUILD):
    the environment variables a lab daemon starts with, else {}. Reports
    go to files VRS_SANITIZE_LOG/<prog>.{asan,ubsan}.<pid>; bgpd, not
    built with ASan itself, gets libasan preloaded (VRS_LD_PRELOAD), or it
    refuses the modules; leak detection only for our own programs (FRR's
    bgpd leaks at exit; the modules' memory is checked by memstats)."""
    if os.environ.get("VRS_SANITIZE") != "1":
        return {}
    logdir = os.environ.get("VRS_SANITIZE_LOG", "/tmp/vrs-sanitize")
    os.makedirs(logdir, exist_ok=True)
    os.chmod(logdir, 0o1777)  # bgpd writes as user frr
    base = os.path.join(logdir, prog)
    env = {"ASAN_OPTIONS": "log_path={}.asan:detect_leaks={}".format(base, int(prog != "bgpd")),
           "UBSAN_OPTIONS": "log_path={}.ubsan:halt_on_error=1:print_stacktrace=1".format(base)}
    if prog == "bgpd":
        env["LD_PRELOAD"] = os.environ.get("VRS_LD_PRELOAD", "libasan.so.8")
    return env


def run(cmd, check=True, **kw):
    res = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if check and res.returncode != 0:
        raise LabError("command failed: {}\n{}".format(" ".join(cmd), (res.stderr or res.stdout).strip()))
    return res


# ---------------------------------------------------------------- topology

class Topology:
    """A validated topology description."""

    def __init__(self, path):
        self.path = path
        self.dir = os.path.dirname(path)
        where = os.path.relpath(path, TOP) if path.startswith(TOP) else path
        self.where = where
        data = self._read(path, where)
        if not isinstance(data, dict):
            self._err("the top level must be a JSON object, got {}".format(_jtype(data)))
        self.base_dir = None
        if "extends" in data:
            # A variant of another topology: same description, some node
            # configs (and keys) replaced; missing configs come from the base.
            base_path = self._base_path(data["extends"])
            base = self._read(base_path, os.path.relpath(base_path, TOP))
            if not isinstance(base, dict):
                self._err("'extends': {} is not a JSON object".format(os.path.relpath(base_path, TOP)))
            if "extends" in base:
                self._err("'extends': {} itself extends {!r}; only one level is allowed".format(
                    os.path.relpath(base_path, TOP), base["extends"]))
            self.base_dir = os.path.dirname(base_path)
            merged = dict(base)
            merged.update({k: v for k, v in data.items() if k != "extends"})
            data = merged
        self._validate(data)
        self.data = data
        self.name = data["name"]
        self.segments = data["segments"]
        self.nodes = data["nodes"]
        self.vnets = data.get("vnets", {})

    @staticmethod
    def _read(path, where):
        try:
            with open(path) as f:
                return json.load(f)
        except FileNotFoundError:
            raise LabError("{}: no such topology file".format(where))
        except ValueError as e:
            raise LabError("{}: not valid JSON: {}".format(where, e))
        except OSError as e:
            raise LabError("{}: cannot read: {}".format(where, e.strerror or e))

    def _err(self, msg):
        raise LabError("{}: {}".format(self.where, msg))

    def _base_path(self, name):
        """configs/<name>/topology.json of an "extends": a plain name of a
        directory directly under configs/, nothing else."""
        if not isinstance(name, str) or not re.match(r"^[a-z0-9][a-z0-9-]{0,31}$", name):
            self._err("'extends' must be the name of a topology under configs/ "
                      "(1-32 chars of a-z, 0-9, '-'), got {!r}".format(name))
        base_dir = os.path.realpath(os.path.join(CONFIGS, name))
        if os.path.dirname(base_dir) != os.path.realpath(CONFIGS):
            self._err("'extends': {!r} is not a directory under configs/".format(name))
        base_path = os.path.join(base_dir, "topology.json")
        if os.path.realpath(base_path) == os.path.realpath(self.path):
            self._err("'extends': a topology cannot extend itself")
        if not os.path.exists(base_path):
            names = sorted(d for d in os.listdir(CONFIGS)
                           if os.path.exists(os.path.join(CONFIGS, d, "topology.json")))
            self._err("'extends': no topology {!r} under configs/ (known: {})".format(name, ", ".join(names)))
        return base_path

    def _type(self, value, types, where, what):
        """Fail unless value is of one of the JSON types (str, int, list,
        dict, ...); the message says where, what was expected, what came."""
        types = types if isinstance(types, tuple) else (types,)
        if isinstance(value, bool) and bool not in types:
            ok = False
        else:
            ok = isinstance(value, types)
        if not ok:
            self._err("{}: must be {}, got {} {}".format(where, what, _jtype(value),
                                                          json.dumps(value)[:60]))
        return value

    def _validate(self, data):
        t = self._type
        t(data, dict, "the top level", "an object")
        for key in ("name", "segments", "nodes"):
            if key not in data:
                self._err("missing '{}'".format(key))
        t(data["name"], str, "'name'", "a string")
        if not re.match(r"^[a-z0-9][a-z0-9-]{0,31}$", data["name"]):
            self._err("'name' must be 1-32 chars of a-z, 0-9, '-'")
        for key in ("description",):
            if key in data:
                t(data[key], str, "'{}'".format(key), "a string")
        if "agentGrace" in data:
            t(data["agentGrace"], (int, float), "'agentGrace'", "a number of seconds")
            if not 0 < data["agentGrace"] <= 3600:
                self._err("'agentGrace': must be 1-3600 seconds, got {}".format(data["agentGrace"]))
        vnets = t(data.get("vnets", {}), dict, "'vnets'", "an object of VNet name -> {space, peerings}")
        for v, spec in vnets.items():
            # Every VNet's shape first: a peering looks at the other side.
            t(spec, dict, "vnet '{}'".format(v), "an object {space, peerings}")
            t(spec.get("peerings", []), list, "vnet '{}': 'peerings'".format(v), "a list of VNet names")
        for v, spec in vnets.items():
            if not NAME_RE.match(v):
                self._err("vnet '{}': names are 1-8 chars a-z0-9 starting with a letter".format(v))
            space = t(spec.get("space"), str, "vnet '{}': 'space'".format(v), "an IPv4 prefix like 10.2.0.0/16")
            try:
                net = ipaddress.ip_network(space)
            except ValueError:
                self._err("vnet '{}': 'space' must be an IPv4 prefix like 10.2.0.0/16, got {!r}".format(v, space))
            if net.num_addresses < 4:
                self._err("vnet '{}': space {} is too small".format(v, net))
            for peer in t(spec.get("peerings", []), list, "vnet '{}': 'peerings'".format(v), "a list of VNet names"):
                t(peer, str, "vnet '{}': 'peerings' entry".format(v), "a VNet name")
                if peer not in vnets:
                    self._err("vnet '{}': peering to unknown vnet {!r}".format(v, peer))
                if v not in vnets[peer].get("peerings", []):
                    self._err("vnet '{}': peering to '{}' has no peering back (add \"{}\" to {}'s peerings)".format(v, peer, v, peer))
        self._vnets = vnets
        segs = t(data["segments"], dict, "'segments'", "an object of segment name -> {}")
        for s, spec in segs.items():
            if not NAME_RE.match(s):
                self._err("segment '{}': names are 1-8 chars a-z0-9 starting with a letter".format(s))
            t(spec, dict, "segment '{}'".format(s), "an object (e.g. {\"description\": ...})")
        nodes = t(data["nodes"], dict, "'nodes'", "an object of node name -> {kind, links, ...}")
        if not nodes:
            self._err("'nodes' must be a non-empty object")
        seen_ips = {}
        gateways = {}
        for v, spec in vnets.items():
            net = ipaddress.ip_network(spec["space"])
            gateways[v] = (net.network_address + 1, net.network_address, net.broadcast_address)
        for n, node in nodes.items():
            if not NAME_RE.match(n):
                self._err("node '{}': names are 1-8 chars a-z0-9 starting with a letter".format(n))
            t(node, dict, "node '{}'".format(n), "an object {kind, links, ...}")
            kind = node.get("kind")
            if not isinstance(kind, str) or kind not in KINDS:
                self._err("node '{}': 'kind' must be one of {}, got {!r}".format(n, ", ".join(KINDS), kind))
            for key in ("hub", "description"):
                if key in node:
                    t(node[key], str, "node '{}': '{}'".format(n, key), "a string")
            for d in t(node.get("daemons", []), list, "node '{}': 'daemons'".format(n), "a list of daemon names"):
                if not isinstance(d, str) or d not in DAEMONS:
                    self._err("node '{}': unknown daemon {!r} (known: {})".format(n, d, ", ".join(DAEMONS)))
            if kind in ("host", "vm") and node.get("daemons"):
                self._err("node '{}': hosts run no FRR daemons".format(n))
            for m in t(node.get("modules", []), list, "node '{}': 'modules'".format(n), "a list of module names"):
                if not isinstance(m, str) or m not in MODULES:
                    self._err("node '{}': unknown module {!r} (known: {})".format(n, m, ", ".join(MODULES)))
            links = t(node.get("links", []), list, "node '{}': 'links'".format(n), "a list of links")
            for i, link in enumerate(links):
                t(link, dict, "node '{}' link {}".format(n, i),
                  "an object like {\"segment\": \"s1\", \"ip\": \"10.0.0.4/24\"}")
            if kind == "vm" and not any("vnet" in l for l in links):
                self._err("node '{}': a vm needs a link with a 'vnet'".format(n))
            for i, link in enumerate(links):
                where = "node '{}' link {}".format(n, i)
                for key in link:
                    if key not in ("segment", "vnet", "ip"):
                        self._err("{}: unknown key {!r} (known: segment, vnet, ip)".format(where, key))
                seg = link.get("segment")
                vnet = link.get("vnet")
                if (seg is None) == (vnet is None):
                    self._err("{}: give exactly one of 'segment' or 'vnet'".format(where))
                if seg is not None:
                    t(seg, str, where + ": 'segment'", "a segment name")
                    if seg not in segs:
                        self._err("{}: unknown segment {!r}".format(where, seg))
                if vnet is not None:
                    t(vnet, str, where + ": 'vnet'", "a VNet name")
                    if vnet not in vnets:
                        self._err("{}: unknown vnet {!r}".format(where, vnet))
                ip = link.get("ip")
                if ip is None:
                    if vnet is not None:
                        self._err("{}: 'ip' must be an address of vnet {} ({})".format(where, vnet, vnets[vnet]["space"]))
                    continue
                t(ip, str, where + ": 'ip'", "an address with prefix length like 10.0.0.4/24")
                try:
                    iface = ipaddress.ip_interface(ip)
                except ValueError:
                    self._err("{}: 'ip' must be an address with prefix length like 10.0.0.4/24, got {!r}".format(where, ip))
                if "/" not in ip:
                    self._err("{}: 'ip' needs a prefix length, e.g. {}/24".format(where, ip))
                if vnet is not None:
                    space = ipaddress.ip_network(vnets[vnet]["space"])
                    if iface.ip not in space:
                        self._err("{}: 'ip' must be an address of vnet {} ({})".format(where, vnet, space))
                    gw, netaddr, bcast = gateways[vnet]
                    if iface.ip == gw:
                        self._err("{}: {} is the fabric's gateway address of vnet {}; use another "
                                  "address of {} (from {})".format(where, iface.ip, vnet, space, gw + 1))
                    if iface.ip in (netaddr, bcast):
                        self._err("{}: {} is the {} address of vnet {} ({})".format(
                            where, iface.ip, "network" if iface.ip == netaddr else "broadcast", vnet, space))
                if str(iface.ip) in seen_ips:
                    self._err("{}: address {} already used by node '{}'".format(where, iface.ip, seen_ips[str(iface.ip)]))
                seen_ips[str(iface.ip)] = n
            routes = t(node.get("routes", []), list, "node '{}': 'routes'".format(n),
                       "a list of {\"prefix\": ..., \"via\": ...}")
            for r in routes:
                try:
                    ipaddress.ip_network(r["prefix"])
                    ipaddress.ip_address(r["via"])
                    ok = isinstance(r["prefix"], str) and isinstance(r["via"], str)
                except (KeyError, ValueError, TypeError):
                    ok = False
                if not ok:
                    self._err("node '{}': routes need 'prefix' (e.g. 0.0.0.0/0) and 'via' (an address), got {!r}".format(n, r))

    def node_conf(self, node, daemon):
        """Path of a node's config for a daemon, or None."""
        for d in (self.dir, self.base_dir):
            if d:
                p = os.path.join(d, node, daemon + ".conf")
                if os.path.exists(p):
                    return p
        return None

    def ifname(self, node, idx):
        return "{}-eth{}".format(node, idx)

    def vnet_gateway(self, vnet):
        """The fabric's address in a VNet (its first host address)."""
        net = ipaddress.ip_network(self.vnets[vnet]["space"])
        return "{}/{}".format(net.network_address + 1, net.prefixlen)

    def vms(self):
        """(name, vnet, ip, table) of every VM, tables numbered in order."""
        out = []
        for n, spec in self.nodes.items():
            if spec["kind"] != "vm":
                continue
            link = next(l for l in spec["links"] if "vnet" in l)
            out.append((n, link["vnet"], str(ipaddress.ip_interface(link["ip"]).ip),
                        VM_TABLE_BASE + len(out)))
        return out

    def peering_links(self):
        """(vnet_a, vnet_b, _, _, index) for every peering, once."""
        out = []
        names = sorted(self.vnets)
        for a in names:
            for b in sorted(self.vnets[a].get("peerings", [])):
                if a < b:
                    i = len(out)
                    out.append((a, b, "169.254.{}.1/30".format(10 + i),
                                "169.254.{}.2/30".format(10 + i), i))
        return out


def find_topology(arg):
    """A topology by name (configs/<name>) or by path."""
    if os.path.isdir(arg):
        arg = os.path.join(arg, "topology.json")
    elif not arg.endswith(".json"):
        cand = os.path.join(CONFIGS, arg, "topology.json")
        if not os.path.exists(cand):
            names = sorted(d for d in os.listdir(CONFIGS) if os.path.exists(os.path.join(CONFIGS, d, "topology.json")))
            raise LabError("no topology '{}' (known: {})".format(arg, ", ".join(names)))
        arg = cand
    return Topology(os.path.abspath(arg))


# ---------------------------------------------------------------- lab

class Lab:
    def __init__(self, topo):
        self.topo = topo
        self.state_file = os.path.join(STATE_DIR, topo.name + ".json")
        self.rundir = os.path.join(STATE_DIR, topo.name)
        self.state = None

    # names -------------------------------------------------------------
    def ns(self, node):
        return "vrs-{}-{}".format(self.topo.name, node)

    def fabric_ns(self):
        return "vrs-{}-fabric".format(self.topo.name)

    def vnet_ns(self, vnet):
        return "vrs-{}-v-{}".format(self.topo.name, vnet)

    def agent_socket(self):
        return os.path.join(self.rundir, "agent.sock")

    def pathspace(self, node):
        return "vrs-{}-{}".format(self.topo.name, node)

    def node_dir(self, node):
        return os.path.join(self.rundir, node)

    # state -------------------------------------------------------------
    def _save(self):
        os.makedirs(STATE_DIR, exist_ok=True)
        tmp = self.state_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.state, f, indent=1)
        os.replace(tmp, self.state_file)

    def load_state(self):
        try:
            with open(self.state_file) as f:
                self.state = json.load(f)
        except FileNotFoundError:
            self.state = None
        return self.state

    def is_up(self):
        return self.load_state() is not None

    # lifecycle ---------------------------------------------------------
    def up(self, log=print):
        if self.is_up():
            log("lab: cleaning up a previous run of {}".format(self.topo.name))
            self.down(log=lambda *a: None)
        for prog in (vtysh_path(),) + tuple(module_path(m) for m in MODULES):
            if not os.path.exists(prog):
                raise LabError("{} not built: run scripts/build".format(prog))
        self.state = {"topology": self.topo.path, "namespaces": [], "pids": {}, "failed": {}}
        self._save()
        try:
            self._up(log)
        except BaseException:
            self.down(log=lambda *a: None)
            raise

    def _addns(self, name):
        run(["ip", "netns", "add", name])
        self.state["namespaces"].append(name)
        self._save()
        run(["ip", "-n", name, "link", "set", "lo", "up"])

    def _up(self, log):
        topo = self.topo
        os.makedirs(self.rundir, exist_ok=True)
        fab = self.fabric_ns()
        self._addns(fab)
        for seg in topo.segments:
            run(["ip", "-n", fab, "link", "add", seg, "type", "bridge"])
            run(["ip", "-n", fab, "link", "set", seg, "up"])
        self._up_vnets()
        port = 0
        for node, spec in topo.nodes.items():
            ns = self.ns(node)
            self._addns(ns)
            run(["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ip_forward=1"])
            for i, link in enumerate(spec.get("links", [])):
                ifname = topo.ifname(node, i)
                peer = "p{}".format(port)
                port += 1
                if "vnet" in link:
                    lns, br = self.vnet_ns(link["vnet"]), "lan"
                else:
                    lns, br = fab, link["segment"]
                run(["ip", "link", "add", ifname, "netns", ns, "type", "veth", "peer", "name", peer, "netns", lns])
                run(["ip", "-n", lns, "link", "set", peer, "master", br])
                run(["ip", "-n", lns, "link", "set", peer, "up"])
                if link.get("ip"):
                    run(["ip", "-n", ns, "addr", "add", link["ip"], "dev", ifname])
                run(["ip", "-n", ns, "link", "set", ifname, "up"])
                if "vnet" in link and not spec.get("routes"):
                    gw = topo.vnet_gateway(link["vnet"]).split("/")[0]
                    run(["ip", "-n", ns, "route", "replace", "default", "via", gw])
            for r in spec.get("routes", []):
                run(["ip", "-n", ns, "route", "replace", r["prefix"], "via", r["via"]])
        if topo.vms():
            self._start_agent()
        for node, spec in topo.nodes.items():
            if spec["kind"] == "router":
                self._start_router(node, spec)
        log("lab: {} is up ({} nodes)".format(topo.name, len(topo.nodes)))

    def _up_vnets(self):
        """One fabric namespace per VNet: a bridge for its nodes, links to
        peered VNets with their system routes, per-VM tables and rules."""
        topo = self.topo
        for v in topo.vnets:
            ns = self.vnet_ns(v)
            self._addns(ns)
            run(["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ip_forward=1",
                 "net.ipv4.conf.all.send_redirects=0", "net.ipv4.conf.default.send_redirects=0"])
            run(["ip", "-n", ns, "link", "add", "lan", "type", "bridge"])
            run(["ip", "-n", ns, "addr", "add", topo.vnet_gateway(v), "dev", "lan"])
            run(["ip", "-n", ns, "link", "set", "lan", "up"])
            # System routes (main table) win over BGP routes (VM tables):
            # consult main first, ignoring its default route.
            run(["ip", "-n", ns, "rule", "add", "pref", "100", "lookup", "main",
                 "suppress_prefixlength", "0"])
        # A peering joins the two fabrics' bridges: the SDN delivers a
        # packet to any address of a peered VNet, so a next hop in a peered
        # VNet (an NVA) is on-link for the fabric, as in the cloud. What is
        # reachable is still decided by the system routes below (no
        # transitivity: only directly peered spaces are routed).
        for a, b, addr_a, addr_b, i in topo.peering_links():
            ia, ib = "to-{}".format(b), "to-{}".format(a)
            run(["ip", "link", "add", ia, "netns", self.vnet_ns(a), "type", "veth",
                 "peer", "name", ib, "netns", self.vnet_ns(b)])
            for ns, ifn in ((self.vnet_ns(a), ia), (self.vnet_ns(b), ib)):
                run(["ip", "-n", ns, "link", "set", ifn, "master", "lan"])
                run(["ip", "-n", ns, "link", "set", ifn, "up"])
            run(["ip", "-n", self.vnet_ns(a), "route", "add", topo.vnets[b]["space"],
                 "dev", "lan", "scope", "link"])
            run(["ip", "-n", self.vnet_ns(b), "route", "add", topo.vnets[a]["space"],
                 "dev", "lan", "scope", "link"])
        for vm, vnet, ip, table in topo.vms():
            ns = self.vnet_ns(vnet)
            run(["ip", "-n", ns, "rule", "add", "pref", str(200 + table), "from", ip,
                 "lookup", str(table)])
            # The VM's table also holds the system routes, so that BGP next
            # hops (NVAs in peered VNets) resolve inside it.
            for r in run(["ip", "-n", ns, "-4", "route", "show", "table", "main"]).stdout.splitlines():
                if r.startswith("default"):
                    continue
                run(["ip", "-n", ns, "route", "add", "table", str(table)] + r.split(), check=False)

    def _start_agent(self):
        agent = os.path.join(build_dir(), "agent", "vnet-agent")
        if not os.path.exists(agent):
            raise LabError("{} not built: run scripts/build".format(agent))
        sock = self.agent_socket()
        args = [agent, "--socket", sock, "--allow-user", "frr", "--grace",
                str(self.topo.data.get("agentGrace", 10))]
        for vm, vnet, ip, table in self.topo.vms():
            args += ["--vm", "{}={},table={}".format(vm, self.vnet_ns(vnet), table)]
        log = open(os.path.join(self.rundir, "vnet-agent.log"), "a")
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                env=dict(os.environ, **sanitizer_env("vnet-agent")))
        log.close()
        self._agent_proc = proc
        self.state["pids"]["agent"] = proc.pid
        self._save()
        # Ready when it answers on its status socket (created after the
        # publisher socket): callers read the status right away.
        ok, _ = wait_for(lambda: proc.poll() is not None or
                         (os.path.exists(sock) and bool(self.agent_status())), timeout=10)
        if proc.poll() is not None or not ok:
            raise LabError("vnet-agent did not start; see {}".format(os.path.join(self.rundir, "vnet-agent.log")))

    def vm_table(self, vm):
        """(fabric namespace, routing table) that hold a VM's routes."""
        for name, vnet, ip, table in self.topo.vms():
            if name == vm:
                return self.vnet_ns(vnet), table
        raise LabError("no VM '{}' in {}".format(vm, self.topo.name))

    def vm_nexthops(self, vm, prefix):
        """Sorted next hops of the route vnet-agent programmed (proto 200)
        for prefix in a VM's table; [] when there is none."""
        ns, table = self.vm_table(vm)
        out = run(["ip", "-n", ns, "route", "show", "table", str(table), prefix,
                   "proto", "200"], check=False).stdout
        return sorted(re.findall(r"via (\S+)", out))

    def agent_status(self):
        agent = os.path.join(build_dir(), "agent", "vnet-agent")
        res = run([agent, "--status", "--socket", self.agent_socket()], check=False)
        try:
            return json.loads(res.stdout)
        except ValueError:
            return {}

    def restart_agent(self):
        self._kill("agent")
        self._start_agent()

    def _start_router(self, node, spec, only=None):
        ns = self.ns(node)
        nd = self.node_dir(node)
        os.makedirs(nd, exist_ok=True)
        vtydir = os.path.join("/var/run/frr", self.pathspace(node))
        os.makedirs(vtydir, exist_ok=True)
        shutil.chown(vtydir, "frr", "frr")
        shutil.chown(nd, "frr", "frr")
        daemons = spec.get("daemons", ["zebra", "bgpd"])
        for d in DAEMONS:
            if d not in daemons or (only and d not in only):
                continue
            conf = os.path.join(nd, d + ".conf")
            if not os.path.exists(conf):
                src = self.topo.node_conf(node, d)
                text = "hostname {}\n".format(node)
                if src:
                    with open(src) as f:
                        text = f.read().replace("@AGENT_SOCKET@", self.agent_socket())
                if d == "zebra" and any("vnet" in l for l in spec.get("links", [])):
                    # Peers in other VNets are reached through the fabric's
                    # default route (multihop BGP, BFD): let NHT use it.
                    text += "ip nht resolve-via-default\n"
                with open(conf, "w") as f:
                    f.write(text)
                shutil.chown(conf, "frr", "frr")
            pidf = os.path.join(nd, d + ".pid")
            senv = ["{}={}".format(*kv) for kv in sanitizer_env(d).items()] if d == "bgpd" else []
            cmd = ["ip", "netns", "exec", ns] + (["env"] + senv if senv else []) + [os.path.join(FRR_DIR, d), "-d",
                   "-N", self.pathspace(node), "-f", conf, "-i", pidf,
                   "--log", "file:" + os.path.join(nd, d + ".log"), "--log-level", "info"]
            if d == "bgpd":
                for m in spec.get("modules", []):
                    cmd += ["-M", module_path(m)]
            res = run(cmd, check=False)
            if res.returncode != 0:
                raise LabError("{}: {} failed to start: {}".format(node, d, (res.stderr or res.stdout).strip()))
            pid = self._wait_pid(pidf)
            self.state["pids"]["{}/{}".format(node, d)] = pid
            self._save()

    @staticmethod
    def _wait_pid(pidf, timeout=10):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                with open(pidf) as f:
                    pid = int(f.read().strip())
                if os.path.exists("/proc/{}".format(pid)):
                    return pid
            except (OSError, ValueError):
                pass
            time.sleep(0.05)
        raise LabError("daemon did not write {}".format(pidf))

    @staticmethod
    def _alive(pid):
        """Running (a zombie has exited: only its parent still has to reap it)."""
        try:
            with open("/proc/{}/stat".format(pid)) as f:
                return f.read().rsplit(")", 1)[1].split()[0] != "Z"
        except (OSError, IndexError):
            return False

    def _kill(self, key, sig=signal.SIGTERM, wait=5.0):
        pid = self.state["pids"].get(key)
        if not pid:
            return
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass
        end = time.monotonic() + wait
        while self._alive(pid) and time.monotonic() < end:
            time.sleep(0.02)
        proc = getattr(self, "_agent_proc", None)
        if key == "agent" and proc is not None and proc.pid == pid:
            try:
                proc.wait(timeout=1)
            except subprocess.TimeoutExpired:
                pass
        if self._alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        del self.state["pids"][key]
        self._save()

    def down(self, log=print):
        if not self.load_state():
            log("lab: {} is not up".format(self.topo.name))
            return
        # Signal every process first, then wait: shutdown in parallel.
        for pid in self.state["pids"].values():
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for key in list(self.state["pids"]):
            self._kill(key)
        for ns in reversed(self.state["namespaces"]):
            run(["ip", "netns", "del", ns], check=False)
        for node in self.topo.nodes:
            shutil.rmtree(os.path.join("/var/run/frr", self.pathspace(node)), ignore_errors=True)
        shutil.rmtree(self.rundir, ignore_errors=True)
        os.unlink(self.state_file)
        log("lab: {} is down".format(self.topo.name))

    # use ---------------------------------------------------------------
    def _need(self, node):
        if not self.is_up():
            raise LabError("{} is not up (scripts/lab up {})".format(self.topo.name, self.topo.name))
        if node not in self.topo.nodes:
            raise LabError("no node '{}' in {} (nodes: {})".format(node, self.topo.name, ", ".join(self.topo.nodes)))

    def exec(self, node, cmd, check=False):
        self._need(node)
        return run(["ip", "netns", "exec", self.ns(node)] + cmd, check=check)

    def vtysh(self, node, *cmds, daemon=None):
        self._need(node)
        args = ["ip", "netns", "exec", self.ns(node), vtysh_path(), "-N", self.pathspace(node)]
        if daemon:
            args += ["-d", daemon]
        for c in cmds:
            args += ["-c", c]
        return run(args, check=False).stdout

    def vtysh_json(self, node, cmd, daemon=None):
        out = self.vtysh(node, cmd, daemon=daemon)
        try:
            return json.loads(out)
        except ValueError:
            return {}

    # failures ----------------------------------------------------------
    def hub_nodes(self, hub):
        """Nodes of a hub: attached to the hub's VNet or marked "hub": NAME."""
        return [n for n, spec in self.topo.nodes.items()
                if spec.get("hub") == hub or any(l.get("vnet") == hub for l in spec.get("links", []))]

    def fail(self, what, target):
        """Inject a failure: 'link' (carrier down), 'silent' (drop all
        packets, carrier up: exercises BFD/hold timers), 'bgpd' (kill)."""
        if what == "hub":
            nodes = self.hub_nodes(target)
            if not nodes:
                raise LabError("no hub '{}' (nodes with a link in VNet {} or \"hub\": \"{}\")".format(target, target, target))
            for n in nodes:
                self.fail("silent", n)
            return
        self._need(target)
        ns = self.ns(target)
        if what == "link":
            for i, _ in enumerate(self.topo.nodes[target].get("links", [])):
                run(["ip", "-n", ns, "link", "set", self.topo.ifname(target, i), "down"])
        elif what == "silent":
            rules = ("add table inet vrslab\n"
                     "add chain inet vrslab input_drop { type filter hook input priority -300; policy drop; }\n"
                     "add chain inet vrslab output_drop { type filter hook output priority -300; policy drop; }\n"
                     "add chain inet vrslab forward_drop { type filter hook forward priority -300; policy drop; }\n")
            run(["ip", "netns", "exec", ns, "nft", "-f", "-"], input=rules)
        elif what == "bgpd":
            self._kill("{}/bgpd".format(target), signal.SIGKILL)
        else:
            raise LabError("unknown failure '{}' (link, silent, bgpd, hub)".format(what))
        self.state["failed"]["{}/{}".format(target, what)] = time.time()
        self._save()

    def restore(self, what, target):
        if what == "hub":
            for n in self.hub_nodes(target):
                self.restore("silent", n)
            return
        self._need(target)
        ns = self.ns(target)
        if what == "link":
            for i, _ in enumerate(self.topo.nodes[target].get("links", [])):
                run(["ip", "-n", ns, "link", "set", self.topo.ifname(target, i), "up"])
            spec = self.topo.nodes[target]
            for r in spec.get("routes", []):
                run(["ip", "-n", ns, "route", "replace", r["prefix"], "via", r["via"]], check=False)
            for link in spec.get("links", []):
                if "vnet" in link and not spec.get("routes"):
                    gw = self.topo.vnet_gateway(link["vnet"]).split("/")[0]
                    run(["ip", "-n", ns, "route", "replace", "default", "via", gw], check=False)
        elif what == "silent":
            run(["ip", "netns", "exec", ns, "nft", "delete", "table", "inet", "vrslab"], check=False)
        elif what == "bgpd":
            self._start_router(target, self.topo.nodes[target], only=("bgpd",))
        else:
            raise LabError("unknown failure '{}' (link, silent, bgpd, hub)".format(what))
        self.state["failed"].pop("{}/{}".format(target, what), None)
        self._save()


def wait_for(predicate, timeout=30.0, interval=0.05):
    """Poll predicate until truthy; returns (value, seconds waited)."""
    start = time.monotonic()
    while True:
        value = predicate()
        if value:
            return value, time.monotonic() - start
        if time.monotonic() - start > timeout:
            return None, time.monotonic() - start
        time.sleep(interval)
