#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""scripts/lab refuses bad topology files with a message that says where
and what is wrong, and every topology shipped in configs/ is valid."""

import glob
import json
import os
import re
import subprocess
import sys

import pytest

CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, ".."))

import vrstest  # noqa: E402

vrstest.load_topology("rs-two-nvas")  # puts scripts/ on sys.path
import vrslab  # noqa: E402

GOOD = {
    "name": "t",
    "vnets": {"a": {"space": "10.1.0.0/16", "peerings": []}},
    "segments": {"s1": {}},
    "nodes": {
        "r1": {"kind": "router", "daemons": ["zebra", "bgpd"],
               "links": [{"segment": "s1", "ip": "10.0.0.1/24"}]},
        "vm1": {"kind": "vm", "links": [{"vnet": "a", "ip": "10.1.0.10/16"}]},
    },
}


def mutate(path, value):
    data = json.loads(json.dumps(GOOD))
    node = data
    for key in path[:-1]:
        node = node[key]
    if value is None and path[-1] in node:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return data


CASES = [
    # Types, names and known keys: the schema (configs/topology.schema.json),
    # one line with the key path and what is allowed there.
    (("nodes", "r1", "kind"), "switch", 'nodes.r1.kind: must be one of router, host, vm, got a string "switch"'),
    (("nodes", "r1", "kind"), None, "nodes.r1: missing 'kind' (one of router, host, vm)"),
    (("nodes", "r1", "daemons"), ["ospfd"],
     'nodes.r1.daemons[0]: must be one of zebra, staticd, bfdd, bgpd, got a string "ospfd"'),
    (("name",), None, "the top level: missing 'name' (1-32 chars of a-z, 0-9, '-'"),
    (("segmets",), {}, "the top level: unknown key 'segmets' (known: name, description, extends, agentGrace, "
                        "vnets, segments, nodes)"),
    (("nodes", "r1", "links"), ["s1"], 'nodes.r1.links[0]: must be an object like {"segment": "s1", "ip": '
                                       '"10.0.0.4/24"} or {"vnet": "hub", "ip": "10.1.0.10/16"}, got a string "s1"'),
    (("nodes", "r1", "links"), "s1", 'nodes.r1.links: must be a list of links, got a string "s1"'),
    (("nodes", "r1", "links"), [{"segment": "s1", "ip": 10}],
     "nodes.r1.links[0].ip: must be an address with prefix length like 10.0.0.4/24, got a number 10"),
    (("nodes", "r1", "links"), [{"segment": ["s1"], "ip": "10.0.0.1/24"}],
     'nodes.r1.links[0].segment: must be a segment name, got a list ["s1"]'),
    (("nodes", "vm1", "links"), [{"vnet": 1, "ip": "10.1.0.10/16"}],
     "nodes.vm1.links[0].vnet: must be a VNet name, got a number 1"),
    (("nodes", "r1", "links"), [{"segment": "s1", "ip": "10.0.0.1/24", "mtu": 9000}],
     "nodes.r1.links[0]: unknown key 'mtu' (known: segment, vnet, ip, ip6)"),
    (("nodes", "r1", "daemons"), "zebra", 'nodes.r1.daemons: must be a list of daemon names (zebra, staticd, '
                                          'bfdd, bgpd); default [zebra, bgpd]; routers only, got a string "zebra"'),
    (("nodes", "r1", "daemons"), [["zebra"]], 'nodes.r1.daemons[0]: must be one of zebra, staticd, bfdd, bgpd, '
                                              'got a list ["zebra"]'),
    (("nodes", "r1", "modules"), {"rs": 1}, "nodes.r1.modules: must be a list of module names (rs, nva) bgpd "
                                            'loads, got an object {"rs": 1}'),
    (("nodes", "r1", "modules"), ["bgpd_rs"], 'nodes.r1.modules[0]: must be one of rs, nva, got a string "bgpd_rs"'),
    (("nodes", "r1", "kind"), ["router"], 'nodes.r1.kind: must be one of router, host, vm, got a list ["router"]'),
    (("nodes", "r1", "routes"), [{"prefix": "0.0.0.0/0", "via": 167772161}],
     "nodes.r1.routes[0].via: must be an IPv4 or IPv6 address like 10.2.0.1 or fd00:2::1, got a number 167772161"),
    (("nodes", "r1", "routes"), [{"prefix": "0.0.0.0/0"}],
     "nodes.r1.routes[0]: missing 'via' (an IPv4 or IPv6 address like 10.2.0.1 or fd00:2::1)"),
    (("nodes", "r1", "routes"), "default", 'nodes.r1.routes: must be a list of {"prefix": ..., "via": ...}, '
                                           'got a string "default"'),
    (("nodes", "r1"), "router", 'nodes.r1: must be an object {kind, links, ...}, got a string "router"'),
    (("nodes",), ["r1"], "nodes: must be a non-empty object of node name -> {kind, links, ...}, got a list"),
    (("nodes",), {}, "nodes: must be a non-empty object of node name -> {kind, links, ...}, got an object {}"),
    (("nodes", "R1"), {"kind": "host"}, 'nodes: name "R1" is not allowed: must be 1-10 chars a-z0-9 starting '
                                        "with a letter"),
    (("nodes", "r1", "hub"), 1, "nodes.r1.hub: must be a string: the hub this node belongs to"),
    (("segments",), ["s1"], "segments: must be an object of segment name -> {} (optional; "),
    (("segments", "s1"), "lan", 'segments.s1: must be an object (e.g. {"description": ...}), got a string "lan"'),
    (("segments", "s1"), {"mtu": 1}, "segments.s1: unknown key 'mtu' (known: description)"),
    (("segments", "segment12"), {}, 'segments: name "segment12" is not allowed: must be 1-8 chars a-z0-9'),
    (("vnets",), "a", 'vnets: must be an object of VNet name -> {space, space6, peerings}, got a string "a"'),
    (("vnets", "a"), "10.1.0.0/16", 'vnets.a: must be an object {space, space6, peerings}, got a string '
                                    '"10.1.0.0/16"'),
    (("vnets", "a", "space"), 167837696, "vnets.a.space: must be an IPv4 prefix like 10.2.0.0/16 (the VNet's "
                                         "address space), got a number 167837696"),
    (("vnets", "a", "space"), "10.1.0.0", "vnets.a.space: must be an IPv4 prefix like 10.2.0.0/16"),
    (("vnets", "a", "space"), "10.1.0.1/16", "vnets.a.space: must be an IPv4 prefix like 10.2.0.0/16 (host bits "
                                             "zero), got '10.1.0.1/16'"),
    (("vnets", "a", "peerings"), "b", 'vnets.a.peerings: must be a list of VNet names (each peering needs one '
                                      'back), got a string "b"'),
    (("vnets",), {"a": {"space": "10.1.0.0/16", "peerings": ["b"]}, "b": "10.2.0.0/16"},
     'vnets.b: must be an object {space, space6, peerings}, got a string "10.2.0.0/16"'),
    (("vnets",), {"a": {"space": "10.1.0.0/16", "peerings": ["b"]}, "b": {"space": "10.2.0.0/16", "peerings": "a"}},
     'vnets.b.peerings: must be a list of VNet names (each peering needs one back), got a string "a"'),
    (("name",), 7, "name: must be 1-32 chars of a-z, 0-9, '-' starting with a letter or digit; names the lab's "
                   "namespaces (vrs-<name>-<node>) and its state"),
    (("name",), "My_Lab", "name: must be 1-32 chars of a-z, 0-9, '-'"),
    (("agentGrace",), "10", 'agentGrace: must be a number of seconds, 0 < agentGrace <= 3600 (vnet-agent --grace), '
                            'got a string "10"'),
    (("agentGrace",), True, "agentGrace: must be a number of seconds, 0 < agentGrace <= 3600 (vnet-agent --grace), "
                            "got a boolean true"),
    (("agentGrace",), 0, "agentGrace: must be a number of seconds, 0 < agentGrace <= 3600 (vnet-agent --grace), "
                         "got a number 0"),
    (("agentGrace",), 3601, "agentGrace: must be a number of seconds, 0 < agentGrace <= 3600"),
    # What needs more than one value: checked after the schema.
    (("nodes", "r1", "links"), [{"segment": "s9", "ip": "10.0.0.1/24"}],
     "node 'r1' link 0: unknown segment 's9' (segments: s1)"),
    (("nodes", "r1", "links"), [{"segment": "s1", "ip": "10.0.0.1"}], "needs a prefix length"),
    (("nodes", "r1", "links"), [{"segment": "s1", "ip": "10.0.0.300/24"}], "'ip' must be an address with prefix length"),
    (("nodes", "r1", "links"), [{"segment": "s1", "vnet": "a", "ip": "10.0.0.1/24"}],
     "node 'r1' link 0: give exactly one of 'segment' or 'vnet'"),
    (("nodes", "vm1", "links"), [{"vnet": "a", "ip": "10.9.0.10/16"}], "must be an address of vnet a"),
    (("nodes", "vm1", "links"), [{"vnet": "b", "ip": "10.9.0.10/16"}], "node 'vm1' link 0: unknown vnet 'b' (vnets: a)"),
    (("nodes", "vm1", "daemons"), ["zebra"], "node 'vm1': hosts run no FRR daemons"),
    (("nodes", "r1", "routes"), [{"prefix": "default", "via": "10.0.0.2"}],
     "node 'r1': routes need 'prefix' (e.g. 0.0.0.0/0) and 'via' (an address)"),
    (("vnets", "a", "peerings"), ["b"], "peering to unknown vnet 'b'"),
    (("vnets",), {"a": {"space": "10.1.0.0/16", "peerings": ["b"]}, "b": {"space": "10.2.0.0/16"}},
     "vnet 'a': peering to 'b' has no peering back (add \"a\" to b's peerings)"),
    # Addresses the fabric itself uses.
    (("nodes", "vm1", "links"), [{"vnet": "a", "ip": "10.1.0.1/16"}],
     "node 'vm1' link 0: 10.1.0.1 is the fabric's gateway address of vnet a; use another address of 10.1.0.0/16"),
    (("nodes", "vm1", "links"), [{"vnet": "a", "ip": "10.1.0.0/16"}],
     "node 'vm1' link 0: 10.1.0.0 is the network address of vnet a"),
    (("nodes", "vm1", "links"), [{"vnet": "a", "ip": "10.1.255.255/16"}],
     "node 'vm1' link 0: 10.1.255.255 is the broadcast address of vnet a"),
    (("nodes", "vm1", "links"), [{"vnet": "a"}], "node 'vm1' link 0: 'ip' must be an address of vnet a"),
    # IPv6 (optional): a VNet's space6, a link's ip6, IPv6 routes.
    (("vnets", "a", "space6"), 48, "vnets.a.space6: must be an IPv6 prefix like fd00:2::/48 (the VNet's IPv6 "
                                   "address space; optional), got a number 48"),
    (("vnets", "a", "space6"), "10.1.0.0/16", "vnets.a.space6: must be an IPv6 prefix like fd00:2::/48"),
    (("vnets", "a", "space6"), "fd00:1::1/48", "vnets.a.space6: must be an IPv6 prefix like fd00:2::/48 (host "
                                               "bits zero), got 'fd00:1::1/48'"),
    (("vnets", "a", "space6"), "fd00:1::/127", "vnets.a.space6: fd00:1::/127 is too small (at most /126)"),
    (("vnets", "a", "space6"), "fe80::/64", "vnets.a.space6: fe80::/64 is not a unicast space"),
    (("nodes", "r1", "links"), [{"segment": "s1", "ip": "10.0.0.1/24", "ip6": 6}],
     "nodes.r1.links[0].ip6: must be an IPv6 address with prefix length like fd00:1::10/48, got a number 6"),
    (("nodes", "r1", "links"), [{"segment": "s1", "ip6": "10.0.0.1/24"}],
     "node 'r1' link 0: 'ip6' must be an IPv6 address with prefix length like fd00:1::10/48, got '10.0.0.1/24'"),
    (("nodes", "r1", "links"), [{"segment": "s1", "ip6": "fd00:9::1"}],
     "node 'r1' link 0: 'ip6' needs a prefix length, e.g. fd00:9::1/64"),
    (("nodes", "r1", "links"), [{"segment": "s1", "ip6": "fe80::1/64"}],
     "node 'r1' link 0: 'ip6' fe80::1 is not a unicast address for an interface"),
    (("nodes", "r1", "links"), [{"segment": "s1", "ip": "fd00:9::1/64"}],
     "node 'r1' link 0: 'ip' must be an IPv4 address with prefix length like 10.0.0.4/24, got 'fd00:9::1/64' "
     "(an IPv6 address goes in 'ip6')"),
    (("nodes", "vm1", "links"), [{"vnet": "a", "ip": "10.1.0.10/16", "ip6": "fd00:1::10/48"}],
     "node 'vm1' link 0: 'ip6' fd00:1::10 given, but vnet a has no IPv6 space (add \"space6\" to vnets.a, "),
    (("nodes", "r1", "routes"), [{"prefix": "::/0", "via": "10.0.0.2"}],
     "node 'r1': route ::/0 via 10.0.0.2: 'prefix' and 'via' must be of one family (both IPv4 or both IPv6)"),
    # "extends" names a topology directly under configs/, nothing else.
    (("extends",), "../../etc", "'extends' must be the name of a topology under configs/"),
    (("extends",), "/etc", "'extends' must be the name of a topology under configs/"),
    (("extends",), "rs-two-nvas/../..", "'extends' must be the name of a topology under configs/"),
    (("extends",), 3, "'extends' must be the name of a topology under configs/ (1-32 chars of a-z, 0-9, '-'), got 3"),
    (("extends",), "no-such-topology", "'extends': no topology 'no-such-topology' under configs/ (known: "),
]


def _test_id(message):
    """A message as a test id: FRR's topolog splits node ids at "::", which
    IPv6 addresses (fd00:2::1) contain."""
    return message.replace("::", ":_:")


@pytest.mark.parametrize("path,value,message", CASES, ids=[_test_id(c[2]) for c in CASES])
def test_bad_topology_is_refused(tmp_path, path, value, message):
    f = tmp_path / "topology.json"
    f.write_text(json.dumps(mutate(path, value)))
    with pytest.raises(vrslab.LabError) as err:
        vrslab.Topology(str(f))
    assert message in str(err.value), str(err.value)
    assert str(f) in str(err.value), "the message does not say which file: " + str(err.value)


GOOD6 = json.loads(json.dumps(GOOD))
GOOD6["vnets"]["a"]["space6"] = "fd00:1::/48"
GOOD6["nodes"]["vm1"]["links"][0]["ip6"] = "fd00:1::10/48"
GOOD6["nodes"]["r1"]["links"][0]["ip6"] = "fd00:9::1/64"

CASES6 = [
    # On a dual-stack topology: IPv6 addresses inside their VNet's space6.
    ("vm1", "fd00:2::10/48", "node 'vm1' link 0: 'ip6' must be an address of vnet a (fd00:1::/48)"),
    ("vm1", "fd00:1::1/48", "node 'vm1' link 0: fd00:1::1 is the fabric's IPv6 gateway address of vnet a; "
                            "use another address of fd00:1::/48 (from fd00:1::2)"),
    ("vm1", "fd00:1::/48", "node 'vm1' link 0: fd00:1:: is the subnet-router anycast (network) address of "
                           "vnet a"),
    ("r1", "fd00:1::10/64", "node 'vm1' link 0: address fd00:1::10 already used by node 'r1'"),
]


@pytest.mark.parametrize("node,ip6,message", CASES6, ids=[_test_id(c[2]) for c in CASES6])
def test_bad_ipv6_address_is_refused(tmp_path, node, ip6, message):
    data = json.loads(json.dumps(GOOD6))
    data["nodes"][node]["links"][0]["ip6"] = ip6
    f = tmp_path / "topology.json"
    f.write_text(json.dumps(data))
    with pytest.raises(vrslab.LabError) as err:
        vrslab.Topology(str(f))
    assert message in str(err.value), str(err.value)
    assert str(f) in str(err.value), "the message does not say which file: " + str(err.value)


def test_ipv6_optional(tmp_path):
    """Control: a dual-stack topology loads; IPv6 is set up only when the
    topology has some (an IPv4-only one is built as before)."""
    f = tmp_path / "topology.json"
    f.write_text(json.dumps(GOOD6))
    topo = vrslab.Topology(str(f))
    assert topo.ipv6
    assert topo.vm_ip("vm1", 6) == "fd00:1::10" and topo.vm_ip("vm1") == "10.1.0.10"
    assert topo.vnet_gateway("a", 6) == "fd00:1::1/48" and topo.vnet_gateway("a") == "10.1.0.1/16"
    data = json.loads(json.dumps(GOOD))
    data["nodes"]["r1"]["routes"] = [{"prefix": "fd00:7::/48", "via": "fd00:9::2"}]
    f.write_text(json.dumps(data))
    assert vrslab.Topology(str(f)).ipv6
    f.write_text(json.dumps(GOOD))
    topo = vrslab.Topology(str(f))
    assert not topo.ipv6
    assert topo.vm_ip("vm1", 6) is None and topo.vnet_gateway("a", 6) is None


def _paths(obj, path=()):
    """Every key path of a parsed JSON document."""
    if path:
        yield path
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, path + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, path + (i,))


WRONG = [None, 7, 2.5, True, "x", "10.0.0.1/24", [], ["x"], [7], {}, {"x": 7}, [{}], [None]]


@pytest.mark.parametrize("name", ["dual-homed-aa", "dual-homed-er", "dual-stack-aa"])
def test_any_value_of_any_type_no_traceback(tmp_path, name):
    """Every value of a shipped topology replaced by values of every JSON
    type: the topology is accepted or refused with a LabError that names
    the file, never any other exception (a traceback in scripts/lab)."""
    with open(os.path.join(vrstest.TOP, "configs", name, "topology.json")) as f:
        base = json.load(f)
    base["nodes"]["rs0"]["routes"] = [{"prefix": "0.0.0.0/0", "via": "10.2.0.1"}]
    f = tmp_path / "topology.json"
    crashes, refused = [], 0
    for path in list(_paths(base)):
        for value in WRONG:
            data = json.loads(json.dumps(base))
            node = data
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = value
            f.write_text(json.dumps(data))
            try:
                vrslab.Topology(str(f))
            except vrslab.LabError as e:
                refused += 1
                assert str(f) in str(e), str(e)
            except Exception as e:  # noqa: B902 - what the test looks for
                crashes.append("{} = {!r}: {}: {}".format("/".join(map(str, path)), value,
                                                           type(e).__name__, e))
    assert not crashes, "{} crashes, e.g.:\n{}".format(len(crashes), "\n".join(crashes[:10]))
    assert refused > 100, refused


def test_top_level_not_an_object(tmp_path):
    f = tmp_path / "topology.json"
    f.write_text("[1, 2]")
    with pytest.raises(vrslab.LabError) as err:
        vrslab.Topology(str(f))
    assert "the top level must be a JSON object, got a list" in str(err.value), str(err.value)


def test_extends_shipped_topology(tmp_path):
    """Control for the refusals above: a plain name under configs/ works."""
    f = tmp_path / "topology.json"
    f.write_text(json.dumps({"extends": "rs-two-nvas", "name": "variant"}))
    topo = vrslab.Topology(str(f))
    assert topo.name == "variant"
    assert sorted(topo.nodes) == ["nva1", "nva2", "rs"]
    assert topo.node_conf("rs", "bgpd") == os.path.join(vrstest.TOP, "configs", "rs-two-nvas", "rs", "bgpd.conf")


@pytest.mark.parametrize("bad", [
    {"nodes": {"r1": {"kind": "router", "links": ["s1"]}}},
    {"nodes": {"r1": {"kind": "router", "links": [{"segment": "s1", "ip": 10}]}}},
    {"extends": "../../etc"},
], ids=["link-as-string", "ip-as-integer", "extends-outside"])
def test_lab_cli_bad_type_no_traceback(tmp_path, bad):
    """The CLI prints one "lab: error:" line and exits 1 (no traceback)."""
    data = json.loads(json.dumps(GOOD))
    data.update(bad)
    if "nodes" in bad:
        data["segments"] = {"s1": {}}
        data.pop("vnets")
    f = tmp_path / "topology.json"
    f.write_text(json.dumps(data))
    res = subprocess.run([os.path.join(vrstest.TOP, "scripts", "lab"), "status", str(f)],
                         capture_output=True, text=True)
    assert res.returncode == 1, (res.returncode, res.stdout, res.stderr)
    assert "Traceback" not in res.stderr, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lab: error: {}: ".format(f)), res.stderr
    assert not res.stdout, res.stdout


def test_not_json(tmp_path):
    f = tmp_path / "topology.json"
    f.write_text("{ nodes: ")
    with pytest.raises(vrslab.LabError, match="not valid JSON"):
        vrslab.Topology(str(f))


def test_lab_cli_error_is_one_clear_line():
    res = subprocess.run([os.path.join(vrstest.TOP, "scripts", "lab"), "up", "no-such-topology"],
                         capture_output=True, text=True)
    assert res.returncode == 1
    assert res.stderr.startswith("lab: error: no topology 'no-such-topology' (known: "), res.stderr


@pytest.mark.parametrize("path", sorted(glob.glob(os.path.join(vrstest.TOP, "configs", "*", "topology.json"))),
                         ids=lambda p: os.path.basename(os.path.dirname(p)))
def test_shipped_topologies_are_valid(path):
    topo = vrslab.Topology(path)
    for node, spec in topo.nodes.items():
        if spec["kind"] == "router" and "bgpd" in spec.get("daemons", []):
            assert topo.node_conf(node, "bgpd"), "{}: no bgpd.conf for {}".format(path, node)


def test_shipped_names_unique_and_match_directories():
    """Namespaces and state are named after "name": the shipped topologies
    use their directory's name, so no two of them collide."""
    names = {}
    for path in sorted(glob.glob(os.path.join(vrstest.TOP, "configs", "*", "topology.json"))):
        d = os.path.basename(os.path.dirname(path))
        topo = vrslab.Topology(path)
        assert topo.name == d, "{}: name {!r} is not its directory's".format(path, topo.name)
        assert topo.name not in names, "{} and {} share the name {}".format(names.get(topo.name), path, topo.name)
        names[topo.name] = path


def test_segments_optional(tmp_path):
    data = json.loads(json.dumps(GOOD))
    del data["segments"]
    data["nodes"]["r1"]["links"] = [{"vnet": "a", "ip": "10.1.0.4/16"}]
    f = tmp_path / "topology.json"
    f.write_text(json.dumps(data))
    assert vrslab.Topology(str(f)).segments == {}
    data["nodes"]["r1"]["links"] = [{"segment": "s1", "ip": "10.0.0.1/24"}]
    f.write_text(json.dumps(data))
    with pytest.raises(vrslab.LabError, match=r"node 'r1' link 0: unknown segment 's1' \(segments: none\)"):
        vrslab.Topology(str(f))


def test_configs_readme_example_and_keys(tmp_path):
    """configs/README.md: its example loads, and it describes every key the
    schema knows (and the schema no key the README leaves out)."""
    with open(os.path.join(vrstest.TOP, "configs", "README.md")) as fh:
        text = fh.read()
    example = text.split("## Example", 1)[1].split("```json\n", 1)[1].split("```", 1)[0]
    f = tmp_path / "topology.json"
    f.write_text(example)
    assert vrslab.Topology(str(f)).name == "mini"
    schema = vrslab.schema()
    keys = set(schema["properties"])
    for d in ("vnet", "segment", "node", "link", "route"):
        keys |= set(schema["$defs"][d].get("properties", {}))
    documented = set(re.findall(r"^\| `(\w+)` \|", text, re.M))
    assert keys == documented, "schema only: {}; README only: {}".format(
        sorted(keys - documented), sorted(documented - keys))


def test_schema_uses_only_supported_keywords():
    """The validator refuses keywords it does not implement: walk the whole
    schema through it once."""
    def walk(node):
        if isinstance(node, dict):
            if "type" in node or "enum" in node or "$ref" in node:
                vrslab._resolve(node, vrslab.schema())
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(vrslab.schema())
