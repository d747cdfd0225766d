#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""scripts/lab refuses bad topology files with a message that says where
and what is wrong, and every topology shipped in configs/ is valid."""

import glob
import json
import os
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
    if value is None:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return data


CASES = [
    (("nodes", "r1", "kind"), "switch", "node 'r1': 'kind' must be one of router, host, vm"),
    (("nodes", "r1", "links"), [{"segment": "s9", "ip": "10.0.0.1/24"}], "unknown segment 's9'"),
    (("nodes", "r1", "links"), [{"segment": "s1", "ip": "10.0.0.1"}], "needs a prefix length"),
    (("nodes", "r1", "links"), [{"segment": "s1", "ip": "10.0.0.300/24"}], "'ip' must be an address with prefix length"),
    (("nodes", "r1", "daemons"), ["ospfd"], "unknown daemon 'ospfd'"),
    (("nodes", "vm1", "links"), [{"vnet": "a", "ip": "10.9.0.10/16"}], "must be an address of vnet a"),
    (("vnets", "a", "peerings"), ["b"], "peering to unknown vnet 'b'"),
    (("name",), None, "missing 'name'"),
]


@pytest.mark.parametrize("path,value,message", CASES, ids=[c[2] for c in CASES])
def test_bad_topology_is_refused(tmp_path, path, value, message):
    f = tmp_path / "topology.json"
    f.write_text(json.dumps(mutate(path, value)))
    with pytest.raises(vrslab.LabError) as err:
        vrslab.Topology(str(f))
    assert message in str(err.value), str(err.value)
    assert str(f) in str(err.value), "the message does not say which file: " + str(err.value)


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
