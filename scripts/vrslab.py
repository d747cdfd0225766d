# SPDX-License-Identifier: GPL-2.0-or-later
"""vrslab: bring a topology of configs/<name>/ up in network namespaces.

A topology is configs/<name>/topology.json plus per-node FRR configs in
configs/<name>/<node>/{zebra,bfdd,bgpd,staticd}.conf. The same description
is used by the topotests (topotests/vrstest.py builds a topogen topology
from it), so the lab and the tests never drift apart.

VNets ("vnets" in the topology) are emulated as fabrics: one namespace per
VNet with a bridge that the VNet's nodes attach to (default gateway: the
VNet's first address), veth links between peered VNets carrying the
peering's system routes, and two routing tables per VNet that has VMs,
one per route-server instance ("slot"; fabric protocol 2). vnet-agent
(agent/) is told the VNets (--vnet NAME=NETNS,tables=T0:T1) and the VMs
(--vm NAME=VNET,ip=ADDR[,ip=ADDR6]); it fills the slot tables with the VNet's
effective routes that the instances publish and binds each VM to the
table of its assigned slot (fnv1a32(name) % 2) with a policy-routing rule
(from ADDR, proto 200). System routes (the VNet and its peerings) are in
the fabric's main table, which is consulted first without its default
route, so they win over BGP routes as in the cloud.

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
SCHEMA_PATH = os.path.join(CONFIGS, "topology.schema.json")
IFNAMSIZ = 16  # Linux interface names: at most 15 characters


def fnv1a32(text):
    """32-bit FNV-1a of a string's bytes (vnet-agent's vnet_vm_hash)."""
    h = 2166136261
    for b in text.encode():
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def vm_slot(name):
    """The slot (route-server instance) vnet-agent assigns to a VM: it
    computes fnv1a32(name) % 2 itself (fabric protocol 2, agent/README.md);
    the lab computes the same instead of asking the agent, so that a VM's
    table is known before the agent runs and at any scale (the status
    omits per-VM detail above 1000 VMs). The topotests check that both
    agree (the agent's status: vms.NAME.table)."""
    return fnv1a32(name) % 2


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


# ---------------------------------------------------------------- schema
#
# configs/topology.schema.json is the format's reference; the lab checks
# every topology against it with this validator of the JSON Schema subset
# the file uses (Debian's python3 has no validator in the standard library;
# the one error found first becomes one line: the key path, what is
# allowed there -- the schema's "description" -- and what came).

_SCHEMA = None


def schema():
    global _SCHEMA
    if _SCHEMA is None:
        try:
            with open(SCHEMA_PATH) as f:
                _SCHEMA = json.load(f)
        except (OSError, ValueError) as e:
            raise LabError("{}: cannot load the topology schema: {}".format(SCHEMA_PATH, e))
    return _SCHEMA


def key_path(path):
    """A key path for messages: nodes.r1.links[0].ip."""
    out = ""
    for p in path:
        if isinstance(p, int):
            out += "[{}]".format(p)
        elif re.match(r"^[A-Za-z0-9_-]+$", p):
            out += ("." if out else "") + p
        else:
            out += "[{}]".format(json.dumps(p))
    return out or "the top level"


_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}
_KNOWN_KEYWORDS = {"$schema", "$id", "$comment", "$defs", "$ref", "title", "description", "type",
                   "properties", "required", "additionalProperties", "propertyNames", "items",
                   "enum", "pattern", "minimum", "maximum", "exclusiveMinimum", "minProperties"}


def _resolve(sch, root):
    while "$ref" in sch:
        ref = sch["$ref"]
        if not ref.startswith("#/"):
            raise LabError("{}: unsupported $ref {!r}".format(SCHEMA_PATH, ref))
        node = root
        for part in ref[2:].split("/"):
            node = node[part]
        sch = node
    unknown = set(sch) - _KNOWN_KEYWORDS
    if unknown:
        # The validator must not silently ignore a rule of the file.
        raise LabError("{}: keyword(s) {} not supported by scripts/vrslab.py".format(
            SCHEMA_PATH, ", ".join(sorted(unknown))))
    return sch


def _got(value):
    return "{} {}".format(_jtype(value), json.dumps(value)[:60])


def schema_error(value, sch=None, root=None, path=()):
    """The first violation of the schema as "path: message", or None."""
    root = root if root is not None else schema()
    sch = _resolve(sch if sch is not None else root, root)
    allowed = sch.get("description") or sch.get("type", "a value")
    where = key_path(path)
    if "enum" in sch and not any(value == e and type(value) is type(e) for e in sch["enum"]):
        return "{}: must be {}, got {}".format(where, allowed, _got(value))
    if "type" in sch and not _TYPES[sch["type"]](value):
        return "{}: must be {}, got {}".format(where, allowed, _got(value))
    if isinstance(value, dict):
        props = sch.get("properties", {})
        for key in sch.get("required", []):
            if key not in value:
                what = _resolve(props[key], root).get("description", "") if key in props else ""
                return "{}: missing '{}'{}".format(where, key, " ({})".format(what) if what else "")
        if len(value) < sch.get("minProperties", 0):
            return "{}: must be {}, got {}".format(where, allowed, _got(value))
        names = sch.get("propertyNames")
        for key in value:
            if names is not None and schema_error(key, names, root) is not None:
                return "{}: name {} is not allowed: must be {}".format(
                    where, json.dumps(key), _resolve(names, root).get("description"))
            if key in props:
                err = schema_error(value[key], props[key], root, path + (key,))
            elif sch.get("additionalProperties") is False:
                return "{}: unknown key {!r} (known: {})".format(where, key, ", ".join(props))
            elif isinstance(sch.get("additionalProperties"), dict):
                err = schema_error(value[key], sch["additionalProperties"], root, path + (key,))
            else:
                err = None
            if err:
                return err
    if isinstance(value, list) and "items" in sch:
        for i, item in enumerate(value):
            err = schema_error(item, sch["items"], root, path + (i,))
            if err:
                return err
    if isinstance(value, str) and "pattern" in sch and not re.search(sch["pattern"], value):
        return "{}: must be {}, got {}".format(where, allowed, _got(value))
    if _TYPES["number"](value):
        if ("minimum" in sch and value < sch["minimum"]) or \
           ("maximum" in sch and value > sch["maximum"]) or \
           ("exclusiveMinimum" in sch and value <= sch["exclusiveMinimum"]):
            return "{}: must be {}, got {}".format(where, allowed, _got(value))
    return None


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
        self.segments = data.get("segments", {})
        self.nodes = data["nodes"]
        self.vnets = data.get("vnets", {})
        # IPv6 anywhere (a VNet's space6, a link's ip6, an IPv6 route):
        # only then does the lab set up IPv6 (DAD off, forwarding, the
        # fabric's IPv6 gateway and rules); an IPv4-only topology is built
        # exactly as before.
        self.ipv6 = (any("space6" in v for v in self.vnets.values()) or
                     any("ip6" in l for s in self.nodes.values() for l in s.get("links", [])) or
                     any(":" in r["prefix"] for s in self.nodes.values() for r in s.get("routes", [])))

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

    def _validate(self, data):
        """The schema (types, names, known keys) first, then what needs
        more than one value: addresses inside their VNet and unique,
        peerings both ways, known segments and VNets, interface names."""
        err = schema_error(data)
        if err:
            self._err(err)
        vnets = data.get("vnets", {})
        for v, spec in vnets.items():
            try:
                net = ipaddress.ip_network(spec["space"])
            except ValueError:
                self._err("vnets.{}.space: must be an IPv4 prefix like 10.2.0.0/16 (host bits zero), "
                          "got {!r}".format(v, spec["space"]))
            if net.num_addresses < 4:
                self._err("vnets.{}.space: {} is too small".format(v, net))
            if "space6" in spec:
                try:
                    net6 = ipaddress.IPv6Network(spec["space6"])
                except ValueError:
                    self._err("vnets.{}.space6: must be an IPv6 prefix like fd00:2::/48 (host bits zero), "
                              "got {!r}".format(v, spec["space6"]))
                if net6.prefixlen > 126:
                    self._err("vnets.{}.space6: {} is too small (at most /126)".format(v, net6))
                if net6.is_link_local or net6.is_multicast or net6.is_loopback or net6.is_unspecified:
                    self._err("vnets.{}.space6: {} is not a unicast space (use a global or unique-local "
                              "prefix like fd00:2::/48)".format(v, net6))
            for peer in spec.get("peerings", []):
                if peer not in vnets:
                    self._err("vnet '{}': peering to unknown vnet {!r}".format(v, peer))
                if v not in vnets[peer].get("peerings", []):
                    self._err("vnet '{}': peering to '{}' has no peering back (add \"{}\" to {}'s peerings)".format(v, peer, v, peer))
        self._vnets = vnets
        segs = data.get("segments", {})
        nodes = data["nodes"]
        seen_ips = {}
        gateways = {}
        gateways6 = {}
        for v, spec in vnets.items():
            net = ipaddress.ip_network(spec["space"])
            gateways[v] = (net.network_address + 1, net.network_address, net.broadcast_address)
            if "space6" in spec:
                net6 = ipaddress.IPv6Network(spec["space6"])
                gateways6[v] = (net6.network_address + 1, net6.network_address)
        for n, node in nodes.items():
            kind = node["kind"]
            links = node.get("links", [])
            longest = self.ifname(n, max(len(links) - 1, 0))
            if len(longest) >= IFNAMSIZ:
                self._err("node '{}': its interface {} would be longer than Linux's 15 characters; "
                          "with {} links a node name may have at most {} characters".format(
                              n, longest, len(links), IFNAMSIZ - 1 - (len(longest) - len(n))))
            if kind in ("host", "vm") and node.get("daemons"):
                self._err("node '{}': hosts run no FRR daemons".format(n))
            if kind == "vm" and not any("vnet" in l for l in links):
                self._err("node '{}': a vm needs a link with a 'vnet'".format(n))
            for i, link in enumerate(links):
                where = "node '{}' link {}".format(n, i)
                seg = link.get("segment")
                vnet = link.get("vnet")
                if (seg is None) == (vnet is None):
                    self._err("{}: give exactly one of 'segment' or 'vnet'".format(where))
                if seg is not None and seg not in segs:
                    self._err("{}: unknown segment {!r} (segments: {})".format(
                        where, seg, ", ".join(segs) or "none"))
                if vnet is not None and vnet not in vnets:
                    self._err("{}: unknown vnet {!r} (vnets: {})".format(where, vnet, ", ".join(vnets) or "none"))
                self._validate_ip6(where, n, vnet, link.get("ip6"), vnets, gateways6, seen_ips)
                ip = link.get("ip")
                if ip is None:
                    if vnet is not None:
                        self._err("{}: 'ip' must be an address of vnet {} ({})".format(where, vnet, vnets[vnet]["space"]))
                    continue
                try:
                    iface = ipaddress.IPv4Interface(ip)
                except ValueError:
                    if ":" in ip:
                        self._err("{}: 'ip' must be an IPv4 address with prefix length like 10.0.0.4/24, got {!r} "
                                  "(an IPv6 address goes in 'ip6')".format(where, ip))
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
            for r in node.get("routes", []):
                try:
                    prefix = ipaddress.ip_network(r["prefix"])
                    via = ipaddress.ip_address(r["via"])
                except ValueError:
                    self._err("node '{}': routes need 'prefix' (e.g. 0.0.0.0/0) and 'via' (an address), got {!r}".format(n, r))
                if prefix.version != via.version:
                    self._err("node '{}': route {} via {}: 'prefix' and 'via' must be of one family (both IPv4 "
                              "or both IPv6)".format(n, r["prefix"], r["via"]))

    def _validate_ip6(self, where, node, vnet, ip6, vnets, gateways6, seen_ips):
        """A link's optional IPv6 address: with a prefix length, unicast,
        inside its VNet's space6 (the VNet must have one) and not the
        fabric's gateway or the subnet-router anycast address, unique."""
        if ip6 is None:
            return
        try:
            iface = ipaddress.IPv6Interface(ip6)
        except ValueError:
            self._err("{}: 'ip6' must be an IPv6 address with prefix length like fd00:1::10/48, got {!r}".format(
                where, ip6))
        if "/" not in ip6:
            self._err("{}: 'ip6' needs a prefix length, e.g. {}/64".format(where, ip6))
        if iface.ip.is_link_local or iface.ip.is_multicast or iface.ip.is_loopback or iface.ip.is_unspecified:
            self._err("{}: 'ip6' {} is not a unicast address for an interface (use a global or unique-local "
                      "address like fd00:1::10/48; link-local addresses are the kernel's)".format(where, iface.ip))
        if vnet is not None:
            if vnet not in gateways6:
                self._err("{}: 'ip6' {} given, but vnet {} has no IPv6 space (add \"space6\" to vnets.{}, "
                          "e.g. \"fd00:2::/48\")".format(where, iface.ip, vnet, vnet))
            space6 = ipaddress.IPv6Network(vnets[vnet]["space6"])
            if iface.ip not in space6:
                self._err("{}: 'ip6' must be an address of vnet {} ({})".format(where, vnet, space6))
            gw, netaddr = gateways6[vnet]
            if iface.ip == gw:
                self._err("{}: {} is the fabric's IPv6 gateway address of vnet {}; use another address of {} "
                          "(from {})".format(where, iface.ip, vnet, space6, gw + 1))
            if iface.ip == netaddr:
                self._err("{}: {} is the subnet-router anycast (network) address of vnet {} ({})".format(
                    where, iface.ip, vnet, space6))
        if str(iface.ip) in seen_ips:
            self._err("{}: address {} already used by node '{}'".format(where, iface.ip, seen_ips[str(iface.ip)]))
        seen_ips[str(iface.ip)] = node

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

    def vnet_gateway(self, vnet, family=4):
        """The fabric's address in a VNet (its first host address), of its
        IPv4 space or (family 6) its IPv6 space; None when the VNet has no
        IPv6 space."""
        key = "space6" if family == 6 else "space"
        if key not in self.vnets[vnet]:
            return None
        net = ipaddress.ip_network(self.vnets[vnet][key])
        return "{}/{}".format(net.network_address + 1, net.prefixlen)

    def vm_ip(self, vm, family=4):
        """A VM's address (no length) in its VNet, IPv4 or (family 6) IPv6;
        None when it has none of that family."""
        spec = self.nodes.get(vm)
        if not spec or spec["kind"] != "vm":
            return None
        link = next(l for l in spec["links"] if "vnet" in l)
        ip = link.get("ip6" if family == 6 else "ip")
        return str(ipaddress.ip_interface(ip).ip) if ip else None

    def _vm_links(self):
        """(name, vnet, ip) of every VM, in the file's order."""
        out = []
        for n, spec in self.nodes.items():
            if spec["kind"] != "vm":
                continue
            link = next(l for l in spec["links"] if "vnet" in l)
            out.append((n, link["vnet"], str(ipaddress.ip_interface(link["ip"]).ip)))
        return out

    def vnet_tables(self):
        """{vnet: (T0, T1)}: the two slot tables of every VNet that has VMs
        (vnet-agent --vnet NAME=NETNS,tables=T0:T1), numbered from
        VM_TABLE_BASE in the order of "vnets": 100:101, 102:103, ..."""
        with_vms = {v for _, v, _ in self._vm_links()}
        out = {}
        for v in self.vnets:
            if v in with_vms:
                t0 = VM_TABLE_BASE + 2 * len(out)
                out[v] = (t0, t0 + 1)
        return out

    def vms(self):
        """(name, vnet, ip, table) of every VM; table = the slot table its
        rule points at: the VNet's table of the VM's slot (vm_slot)."""
        tables = self.vnet_tables()
        return [(n, v, ip, tables[v][vm_slot(n)]) for n, v, ip in self._vm_links()]

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

    def owner(self):
        """The topology file of the lab that holds this topology's name,
        when it is another file than ours (two files with one "name" would
        share namespaces and state); None when free or ours. A lab made
        from a file that no longer exists (a test's temporary copy) is not
        anybody's any more: up/down may clean it up."""
        st = self.load_state()
        if not st:
            return None
        other = st.get("topology", "")
        if not os.path.exists(other):
            return None
        if self._stale(st):
            return None
        if os.path.realpath(other) == os.path.realpath(self.topo.path):
            return None
        return other

    def _stale(self, st):
        """A recorded lab none of whose processes runs and none of whose
        namespaces exists (a host rebooted, or a machine image taken with
        /run/vrs-lab in it) holds nothing: it is nobody's any more."""
        if any(self._alive(pid) for pid in st.get("pids", {}).values()):
            return False
        have = set(l.split()[0] for l in run(["ip", "netns", "list"]).stdout.splitlines() if l.strip())
        return not any(ns in have for ns in st.get("namespaces", []))

    def _check_owner(self):
        other = self.owner()
        if other:
            rel = os.path.relpath(other, TOP) if other.startswith(TOP + os.sep) else other
            raise LabError("a lab named '{}' is up from another file, {}: namespaces and state are named "
                           "after the topology's \"name\", so give {} another \"name\", or take that lab "
                           "down first (scripts/lab down {})".format(self.topo.name, rel, self.topo.where, rel))

    def running(self):
        """Keys of the recorded processes that still run."""
        st = self.load_state() or {}
        return sorted(k for k, pid in st.get("pids", {}).items() if self._alive(pid))

    # lifecycle ---------------------------------------------------------
    def up(self, log=print, force=True):
        """Bring the lab up. A lab of this name that is up already (or
        crashed) is rebuilt when force (the topotests: a previous run may
        have crashed), refused otherwise (scripts/lab up without --force).
        A lab of the same name from another file is always refused."""
        self._check_owner()
        if self.is_up():
            if not force:
                alive = self.running()
                raise LabError("{} is already up ({} of {} processes running, state {}): scripts/lab down {} "
                               "first, or scripts/lab up --force {} to rebuild it".format(
                                   self.topo.name, len(alive), len(self.state.get("pids", {})),
                                   self.state_file, self.topo.name, self.topo.name))
            log("lab: {} was up: rebuilding it (down, then up)".format(self.topo.name))
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
        if self.topo.ipv6:
            # No duplicate address detection: an address is usable at once
            # (nothing to wait for; the lab's addresses are unique by
            # validation). Set before any interface exists, so every one
            # inherits it (link-local addresses included). Addresses stay
            # on a link that goes down (fail/restore link), as IPv4 ones do.
            run(["ip", "netns", "exec", name, "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0",
                 "net.ipv6.conf.default.accept_dad=0", "net.ipv6.conf.all.keep_addr_on_down=1",
                 "net.ipv6.conf.default.keep_addr_on_down=1"])
        run(["ip", "-n", name, "link", "set", "lo", "up"])

    def _bridge(self, ns, name):
        """A bridge; with IPv6, without multicast snooping (no MLD querier
        in the lab: neighbor discovery is flooded, never filtered)."""
        run(["ip", "-n", ns, "link", "add", name, "type", "bridge"] +
            (["mcast_snooping", "0"] if self.topo.ipv6 else []))

    def _up(self, log):
        topo = self.topo
        os.makedirs(self.rundir, exist_ok=True)
        fab = self.fabric_ns()
        self._addns(fab)
        for seg in topo.segments:
            self._bridge(fab, seg)
            run(["ip", "-n", fab, "link", "set", seg, "up"])
        self._up_vnets()
        port = 0
        for node, spec in topo.nodes.items():
            ns = self.ns(node)
            self._addns(ns)
            run(["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ip_forward=1"] +
                (["net.ipv6.conf.all.forwarding=1"] if topo.ipv6 else []))
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
                if link.get("ip6"):
                    run(["ip", "-n", ns, "addr", "add", link["ip6"], "dev", ifname, "nodad"])
                run(["ip", "-n", ns, "link", "set", ifname, "up"])
            self._node_routes(node, spec)
        if topo.vms():
            self._start_agent()
        for node, spec in topo.nodes.items():
            if spec["kind"] == "router":
                self._start_router(node, spec)
        log("lab: {} is up ({} nodes)".format(topo.name, len(topo.nodes)))

    def _node_routes(self, node, spec, check=True):
        """A node's static kernel routes ("routes"), or without them a
        default route via the fabric for each VNet link, IPv4 and, when the
        link has an IPv6 address, IPv6 (at up and after restore link)."""
        ns = self.ns(node)
        for link in spec.get("links", []):
            if "vnet" in link and not spec.get("routes"):
                gw = self.topo.vnet_gateway(link["vnet"]).split("/")[0]
                run(["ip", "-n", ns, "route", "replace", "default", "via", gw], check=check)
                gw6 = self.topo.vnet_gateway(link["vnet"], 6)
                if link.get("ip6") and gw6:
                    run(["ip", "-n", ns, "-6", "route", "replace", "default", "via", gw6.split("/")[0]],
                        check=check)
        for r in spec.get("routes", []):
            run(["ip", "-n", ns, "route", "replace", r["prefix"], "via", r["via"]], check=check)

    def _up_vnets(self):
        """One fabric namespace per VNet: a bridge for its nodes, links to
        peered VNets with their system routes (the slot tables and the VMs'
        rules are the agent's)."""
        topo = self.topo
        for v in topo.vnets:
            ns = self.vnet_ns(v)
            self._addns(ns)
            run(["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ip_forward=1",
                 "net.ipv4.conf.all.send_redirects=0", "net.ipv4.conf.default.send_redirects=0"] +
                (["net.ipv6.conf.all.forwarding=1"] if topo.ipv6 else []))
            self._bridge(ns, "lan")
            run(["ip", "-n", ns, "addr", "add", topo.vnet_gateway(v), "dev", "lan"])
            gw6 = topo.vnet_gateway(v, 6)
            if gw6:
                run(["ip", "-n", ns, "addr", "add", gw6, "dev", "lan", "nodad"])
            run(["ip", "-n", ns, "link", "set", "lan", "up"])
            # System routes (main table) win over BGP routes (slot tables):
            # consult main first, ignoring its default route (IPv6 too when
            # the VNet has an IPv6 space).
            run(["ip", "-n", ns, "rule", "add", "pref", "100", "lookup", "main",
                 "suppress_prefixlength", "0"])
            if gw6:
                run(["ip", "-n", ns, "-6", "rule", "add", "pref", "100", "lookup", "main",
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
            for x, y in ((a, b), (b, a)):
                if "space6" in topo.vnets[y]:
                    run(["ip", "-n", self.vnet_ns(x), "-6", "route", "add", topo.vnets[y]["space6"],
                         "dev", "lan"])
        # The VMs' rules and the slot tables' routes are vnet-agent's
        # (proto 200): the lab makes none. The slot tables need no copy of
        # the system routes: the agent's routes use nexthop objects, whose
        # gateways the kernel resolves in the main table when the agent
        # creates them (a peered VNet's NVA is on-link there).

    def _start_agent(self):
        agent = os.path.join(build_dir(), "agent", "vnet-agent")
        if not os.path.exists(agent):
            raise LabError("{} not built: run scripts/build".format(agent))
        sock = self.agent_socket()
        args = [agent, "--socket", sock, "--allow-user", "frr", "--grace",
                str(self.topo.data.get("agentGrace", 10))]
        for vnet, (t0, t1) in self.topo.vnet_tables().items():
            args += ["--vnet", "{}={},tables={}:{}".format(vnet, self.vnet_ns(vnet), t0, t1)]
        for vm, vnet, ip, _ in self.topo.vms():
            # A dual-stack VM: one ip= per family (IPv4 first).
            ip6 = self.topo.vm_ip(vm, 6)
            args += ["--vm", "{}={},ip={}".format(vm, vnet, ip) + (",ip={}".format(ip6) if ip6 else "")]
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
        """(fabric namespace, routing table) that hold a VM's routes: its
        VNet's slot table that the agent's rule for the VM points at
        (vm_slot: computed as the agent does; several VMs share it)."""
        for name, vnet, ip, table in self.topo.vms():
            if name == vm:
                return self.vnet_ns(vnet), table
        raise LabError("no VM '{}' in {}".format(vm, self.topo.name))

    def vm_nexthops(self, vm, prefix):
        """Sorted next hops of the route vnet-agent programmed (proto 200)
        for prefix (IPv4 or IPv6) in a VM's table; [] when there is none."""
        ns, table = self.vm_table(vm)
        return table_nexthops(ns, table, prefix).get(prefix, [])

    def agent_status(self):
        agent = os.path.join(build_dir(), "agent", "vnet-agent")
        res = run([agent, "--status", "--socket", self.agent_socket()], check=False)
        try:
            return json.loads(res.stdout)
        except ValueError:
            return {}

    def agent_vm(self, vm):
        """The agent's answer about one VM (`vnet-agent --status --vm NAME`):
        {"vm", "vnet", "ip", "assignedInstance", "instanceInUse", "table",
        "netns", "found"}; {} when the agent does not answer."""
        agent = os.path.join(build_dir(), "agent", "vnet-agent")
        res = run([agent, "--status", "--socket", self.agent_socket(), "--vm", vm], check=False)
        try:
            return json.loads(res.stdout)
        except ValueError:
            return {}

    def restart_agent(self):
        self._kill("agent")
        self._start_agent()

    def restart_agent_synced(self, timeout=30.0):
        """Restart a running lab's vnet-agent and wait until the route-server
        instances that were connected before are connected again and have
        resent their state (publisher_synced). Returns (new pid, seconds,
        the instances waited for)."""
        if not self.is_up():
            raise LabError("{} is not up (scripts/lab up {})".format(self.topo.name, self.topo.name))
        self._check_owner()
        if not self.topo.vms():
            raise LabError("{} has no VMs: it runs no vnet-agent".format(self.topo.name))
        before = sorted(i for i, p in self.agent_status().get("publishers", {}).items() if p.get("connected"))
        start = time.monotonic()
        self.restart_agent()

        def synced():
            pubs = self.agent_status().get("publishers", {})
            return all(publisher_synced(pubs.get(i, {})) for i in before)

        ok, _ = wait_for(synced, timeout=timeout, interval=0.1)
        if not ok:
            raise LabError("vnet-agent restarted but instances {} did not resync in {:.0f} s; see {}".format(
                ", ".join(before), timeout, os.path.join(self.rundir, "vnet-agent.log")))
        return self.state["pids"]["agent"], time.monotonic() - start, before

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
                    if any("vnet" in l and l.get("ip6") for l in spec.get("links", [])):
                        text += "ipv6 nht resolve-via-default\n"
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
            if d == "bfdd":
                bfdd_realtime(pid)

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
        self._check_owner()
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
        self._check_owner()
        if node not in self.topo.nodes:
            raise LabError("no node '{}' in {} (nodes: {})".format(node, self.topo.name, ", ".join(self.topo.nodes)))

    def routers(self):
        return [n for n, spec in self.topo.nodes.items() if spec["kind"] == "router"]

    def need_router(self, node):
        """node must be a router: hosts and VMs run no FRR daemons."""
        self._need(node)
        kind = self.topo.nodes[node]["kind"]
        if kind != "router":
            raise LabError("{} is a {} of {}: it runs no FRR daemons, so there is no vtysh; routers: {}{}".format(
                node, kind, self.topo.name, ", ".join(self.routers()) or "none",
                " (its kernel routes: scripts/lab routes {} {})".format(self.topo.name, node)))

    def vm_system_routes(self, vm, family=4):
        """The system routes a VM's packets see first: the fabric's main
        table of its VNet without the default route (the rule pref 100,
        suppress_prefixlength 0), as `ip route` prints them; family 6: the
        IPv6 ones (without the kernel's fe80::/64)."""
        self._need(vm)
        ns, _ = self.vm_table(vm)
        res = run(["ip", "-n", ns, "-{}".format(family), "route", "show", "table", "main"], check=False)
        return "".join(l + "\n" for l in res.stdout.splitlines()
                       if not l.startswith("default") and not l.startswith("fe80::/64"))

    def vm_rule(self, vm, family=4):
        """The agent's rule for a VM (`ip rule` line) for its IPv4 address
        or (family 6) its IPv6 address; "" when there is none (or the VM
        has no address of that family)."""
        self._need(vm)
        ns, table = self.vm_table(vm)
        ip = self.topo.vm_ip(vm, family)
        if ip is None:
            return ""
        out = run(["ip", "-n", ns, "-{}".format(family), "rule", "show", "from", ip], check=False).stdout
        return next((l.strip() for l in out.splitlines() if "proto 200" in l), "")

    def vm_routes(self, vm, family=4):
        """A VM's BGP routes: its VNet's slot table that the agent's rule
        for the VM selects (proto 200: programmed by vnet-agent from the
        route servers), as `ip route` prints them; family 6: the IPv6
        routes of that table."""
        self._need(vm)
        ns, table = self.vm_table(vm)
        res = run(["ip", "-n", ns, "-{}".format(family), "route", "show", "table", str(table)], check=False)
        if res.returncode != 0 and "table does not exist" in res.stderr:
            return ""  # nothing programmed (yet): the kernel has no such table
        if res.returncode != 0:
            raise LabError("ip -n {} route show table {}: {}".format(ns, table, res.stderr.strip()))
        return expand_nhids(res.stdout, nexthop_objects(ns)) if " nhid " in res.stdout else res.stdout

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

    def vtysh_checked(self, node, *cmds):
        """vtysh for people (scripts/lab vtysh): a router only; returns
        (exit status, stdout, stderr) where the status is 1 when vtysh
        failed or printed an error line ("% Unknown command", "% no VM
        ...": FRR's vtysh -c exits 0 for most of them)."""
        self.need_router(node)
        args = ["ip", "netns", "exec", self.ns(node), vtysh_path(), "-N", self.pathspace(node)]
        for c in cmds:
            args += ["-c", c]
        res = run(args, check=False)
        # vtysh looks for /etc/frr/<pathspace>/vtysh.conf, which the lab
        # does not make: that complaint on stderr is noise, not an error.
        err = "".join(l + "\n" for l in res.stderr.splitlines()
                      if not re.match(r"^% Can't open configuration file \S+/vtysh\.conf", l))
        errors = [l for l in (res.stdout + err).splitlines() if l.startswith("%")]
        return (1 if res.returncode != 0 or errors else 0), res.stdout, err

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
            self._node_routes(target, self.topo.nodes[target], check=False)
        elif what == "silent":
            run(["ip", "netns", "exec", ns, "nft", "delete", "table", "inet", "vrslab"], check=False)
        elif what == "bgpd":
            self._start_router(target, self.topo.nodes[target], only=("bgpd",))
        else:
            raise LabError("unknown failure '{}' (link, silent, bgpd, hub)".format(what))
        self.state["failed"].pop("{}/{}".format(target, what), None)
        self._save()


def bfdd_realtime(pid):
    """bfdd at real-time priority (SCHED_FIFO 50), as routers run BFD.
    bfdd drops every session it serves when it does not run for longer
    than their detection time (FRR's loop fires expired timers before it
    reads the packets waiting in its sockets); on a loaded 2-core host an
    ordinary process waits up to ~150 ms for a core, which the labs'
    30 ms x 3 profile does not survive: 12 false session downs in 300 s
    of CI-like load at normal priority, none at SCHED_FIFO
    (scripts/bench-failover --bfd 30x3 [--rt] --idle, README "Measured").
    RT throttling (kernel.sched_rt_runtime_us) still leaves every core
    5 % for the rest should bfdd ever spin."""
    try:
        os.sched_setscheduler(pid, os.SCHED_FIFO, os.sched_param(50))
    except OSError as e:
        raise LabError("bfdd (pid {}) at SCHED_FIFO: {}".format(pid, e))


# ---------------------------------------------------------------- kernel
#
# vnet-agent's routes use nexthop objects (RTA_NH_ID) and it sets
# net.ipv4.nexthop_compat_mode=0 in the VNet namespaces (a group change
# then costs no per-route notification): `ip route` prints "nhid N" only.
# These helpers resolve the ids with `ip nexthop`, and read compat-mode
# output (gateways inline) as well.

def nexthop_objects(ns):
    """{id: object} of a namespace's nexthop objects (`ip -j nexthop`):
    {"gateway", "dev"}, {"group": [{"id", "weight"}]} or {"blackhole"}."""
    out = run(["ip", "-n", ns, "-j", "nexthop", "show"], check=False).stdout
    try:
        return {n["id"]: n for n in json.loads(out or "[]")}
    except ValueError:
        return {}


def resolve_nhid(nhid, objs):
    """[(gateway or dev or "blackhole", dev, weight)] of nexthop object nhid."""
    obj = objs.get(nhid)
    if obj is None:
        return [("nhid{}?".format(nhid), "", 1)]
    if "group" in obj:
        out = []
        for m in obj["group"]:
            for gw, dev, _ in resolve_nhid(m["id"], objs):
                out.append((gw, dev, m.get("weight", 1)))
        return out
    if obj.get("blackhole") is not None or obj.get("type") == "blackhole":
        return [("blackhole", "", 1)]
    return [(obj.get("gateway", obj.get("dev", "?")), obj.get("dev", ""), 1)]


def expand_nhids(text, objs):
    """`ip route` text with each "nhid N" route given its next hops the way
    compat mode prints them: "nhid N via G dev D ..." for one, one
    "nexthop via G dev D weight W" line each for a group."""
    out = []
    for line in text.splitlines():
        m = re.match(r"^(\S+ nhid (\d+)) (.*)$", line)
        if not m or " via " in line:
            out.append(line)
            continue
        hops = resolve_nhid(int(m.group(2)), objs)
        if len(hops) == 1 and "group" not in objs.get(int(m.group(2)), {}):
            gw, dev, _ = hops[0]
            out.append("{} via {}{} {}".format(m.group(1), gw, " dev " + dev if dev else "", m.group(3)))
        else:
            out.append(line)
            out += ["\tnexthop via {}{} weight {}".format(gw, " dev " + dev if dev else "", w)
                    for gw, dev, w in hops]
    return "".join(l + "\n" for l in out)


def table_nexthops(ns, table, prefix=None, proto="200", family=None):
    """{prefix: sorted next hops} of a table's routes of protocol proto
    (one prefix, or all); blackholes as ["blackhole"]. The family (4 or 6)
    is the prefix's, else 4 unless given."""
    if family is None:
        family = 6 if prefix and ":" in prefix else 4
    cmd = ["ip", "-n", ns, "-j", "-{}".format(family), "route", "show", "table", str(table)]
    out = run(cmd + ([prefix] if prefix else []) + ["proto", proto], check=False).stdout
    try:
        routes = json.loads(out or "[]")
    except ValueError:
        return {}
    objs = None
    got = {}
    for r in routes:
        dst = r.get("dst", "")
        if dst == "default":
            dst = "::/0" if family == 6 else "0.0.0.0/0"
        elif "/" not in dst:
            dst += "/128" if family == 6 else "/32"
        if r.get("type") == "blackhole":
            nhs = ["blackhole"]
        elif "nexthops" in r:
            nhs = [n.get("gateway", n.get("dev", "?")) for n in r["nexthops"]]
        elif "gateway" in r:
            nhs = [r["gateway"]]
        elif "nhid" in r:
            if objs is None:
                objs = nexthop_objects(ns)
            nhs = [gw for gw, _, _ in resolve_nhid(r["nhid"], objs)]
        else:
            nhs = [r.get("dev", "?")]
        got[dst] = sorted(nhs)
    return got


def publisher_synced(pub):
    """A publisher of the agent's status ("publishers": {"0": {...}}) is
    connected and has sent its snapshot: "synced" (protocol 2), or a
    sequence number above 0 when the agent does not say."""
    if pub.get("connected") is not True:
        return False
    return pub["synced"] is True if "synced" in pub else pub.get("lastSeq", 0) > 0


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
