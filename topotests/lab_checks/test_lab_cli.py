#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""scripts/lab on real labs: the README's examples of "## The lab" run as
written (exit status and what they print), a second file with a running
lab's name is refused, node names up to the interface-name limit and
topologies without "segments" come up and carry packets.

Every lab here is a variant with a name of its own (this process's pid)
and a private state directory, so nothing collides with a lab somebody
runs from configs/."""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

import pytest

CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, ".."))

import vrstest  # noqa: E402

vrstest.load_topology("rs-two-nvas")  # puts scripts/ on sys.path
import vrslab  # noqa: E402

LAB = os.path.join(vrstest.TOP, "scripts", "lab")
README = os.path.join(vrstest.TOP, "README.md")
RETRY = ("ping", "routes", "vtysh", "status")  # converge: poll them


@pytest.fixture(scope="module")
def state_dir():
    # Not under pytest's tmp_path (mode 0700): the daemons run as user frr
    # and write their pid files into the lab's state directory.
    d = tempfile.mkdtemp(prefix="vrs-lab-cli-{}-".format(os.getpid()), dir="/tmp")
    os.chmod(d, 0o755)
    yield d
    # Whatever a failed test left up: down by the recorded state (ids).
    for f in os.listdir(d):
        if f.endswith(".json"):
            with open(os.path.join(d, f)) as fh:
                topo = json.load(fh).get("topology")
            if topo and os.path.exists(topo):
                lab(d, "down", topo)
    shutil.rmtree(d, ignore_errors=True)


def lab(state, *args):
    env = dict(os.environ, VRS_LAB_STATE=state)
    return subprocess.run([LAB] + list(args), capture_output=True, text=True, env=env, timeout=120)


def variant(tmp_path, base, name):
    f = tmp_path / "topology.json"
    f.write_text(json.dumps({"extends": base, "name": name}))
    return str(f)


def readme_lab_lines():
    """The scripts/lab lines of the first sh block of README "## The lab"
    with their expected exit status ("# exit N" in the comment, else 0)."""
    with open(README) as f:
        text = f.read()
    section = text.split("\n## The lab\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    out = []
    for line in block.splitlines():
        if not line.startswith("scripts/lab"):
            continue
        cmd, _, comment = line.partition("#")
        m = re.search(r"\bexit (\d)\b", comment)
        out.append((shlex.split(cmd)[1:], int(m.group(1)) if m else 0, line))
    return out


def test_help_runs_nothing(tmp_path):
    """--help anywhere: the usage on stdout, exit 0, nothing brought up."""
    state = str(tmp_path)
    for args in (["--help"], ["-h"], ["up", "--help"], ["up", "dual-homed-aa", "--help"]):
        res = lab(state, *args)
        assert res.returncode == 0, (args, res.stderr)
        assert res.stdout.startswith("usage: scripts/lab COMMAND TOPO"), res.stdout
        assert "lab restart TOPO agent" in res.stdout and "lab up [--force] TOPO" in res.stdout
        assert not res.stderr, res.stderr
    assert os.listdir(state) == [], "--help created state: {}".format(os.listdir(state))
    res = lab(state)
    assert res.returncode == 2 and "lab up [--force] TOPO" in res.stderr, res


def test_readme_lab_examples(tmp_path, state_dir):
    """Each scripts/lab line of the README's lab section, in order, on a
    variant of its topology: the exit status it documents; the commands
    that depend on BGP/agent convergence are polled until they succeed."""
    lines = readme_lab_lines()
    cmds = {tuple(a[:1]) for a, _, _ in lines}
    for need in ("up", "vtysh", "routes", "restart", "down"):
        assert (need,) in cmds, "README's lab section has no 'scripts/lab {}' example".format(need)
    assert any(rc == 1 and a[0] == "up" for a, rc, _ in lines), "no example of a refused second up"
    assert any(rc == 1 and a[0] == "vtysh" for a, rc, _ in lines), "no example of a vtysh error"
    topo = variant(tmp_path, "dual-homed-aa", "readme{}".format(os.getpid()))
    seen = []
    for args, want, line in lines:
        args = [topo if a == "dual-homed-aa" else a for a in args]
        if args and args[0] in RETRY and want == 0:
            res, _ = vrslab.wait_for(lambda: (lambda r: r if r.returncode == 0 else None)(lab(state_dir, *args)),
                                     timeout=60, interval=0.5)
            res = res or lab(state_dir, *args)
        else:
            res = lab(state_dir, *args)
        assert res.returncode == want, "{}\n-> exit {} (README says {})\nstdout: {}\nstderr: {}".format(
            line, res.returncode, want, res.stdout[-2000:], res.stderr[-2000:])
        assert "Traceback" not in res.stderr, res.stderr
        seen.append((args, res))
    refused_up = next(r for (a, r), (_, rc, _) in zip(seen, lines) if a[0] == "up" and rc == 1)
    assert "is already up" in refused_up.stderr and "--force" in refused_up.stderr, refused_up.stderr
    vm_vtysh = [r for a, r in seen if a[0] == "vtysh" and a[2].startswith("vm")]
    assert vm_vtysh and "runs no FRR daemons" in vm_vtysh[0].stderr, vm_vtysh
    vm_routes = [r for a, r in seen if a[0] == "routes" and a[2].startswith("vm")]
    assert vm_routes, "no 'scripts/lab routes TOPO vmN' example"
    restarted = [r for a, r in seen if a[0] == "restart"]
    assert restarted and "resynced" in restarted[0].stdout, restarted


def test_vm_routes_and_vtysh_errors(tmp_path, state_dir):
    """The conveniences' output, not just their exit status."""
    topo = variant(tmp_path, "dual-homed-aa", "cli{}".format(os.getpid()))
    res = lab(state_dir, "up", topo)
    assert res.returncode == 0, res.stderr
    try:
        def routed():
            r = lab(state_dir, "routes", topo, "vm1")
            # ECMP: "192.168.0.0/16 proto 200" then one "nexthop via" line each
            m = re.search(r"^192\.168\.0\.0/16 .*(\n\s+nexthop .*)*", r.stdout, re.M)
            block = m.group(0) if m else ""
            return r if "via 10.1.0.10 " in block and "via 10.3.0.10 " in block else None

        r, _ = vrslab.wait_for(routed, timeout=60, interval=0.5)
        assert r, lab(state_dir, "routes", topo, "vm1").stdout
        assert "proto 200" in r.stdout and "10.2.0.0/16" in r.stdout, r.stdout  # system route too
        bad = lab(state_dir, "vtysh", topo, "rs0", "show nosuchthing")
        assert bad.returncode == 1 and "% Unknown command: show nosuchthing" in bad.stdout, bad
        novm = lab(state_dir, "vtysh", topo, "rs0", "show route-server effective-routes vm nosuch")
        assert novm.returncode == 1 and "% no VM nosuch" in novm.stdout, novm
        good = lab(state_dir, "vtysh", topo, "rs0", "show route-server effective-routes vm vm1 json")
        assert good.returncode == 0, good
        assert "vtysh.conf" not in good.stderr, good.stderr
        assert "spoke" in json.loads(good.stdout)["vnets"], good.stdout
        # A kernel route the agent owns survives a restart of the agent.
        before = lab(state_dir, "status", topo, "--json")
        res = lab(state_dir, "restart", topo, "agent")
        assert res.returncode == 0 and "instances 0, 1 resynced" in res.stdout, res
        r, _ = vrslab.wait_for(routed, timeout=30, interval=0.2)
        assert r, "vm1 lost its on-prem route after the agent restart"
        assert before.returncode == 0
        res = lab(state_dir, "restart", topo, "nosuch")
        assert res.returncode == 2, res
    finally:
        res = lab(state_dir, "down", topo)
    assert res.returncode == 0, res.stderr


def test_two_files_one_name_refused(tmp_path, state_dir):
    """Namespaces and state are named after "name": a second file with the
    name of a running lab is refused (up, down, status, vtysh), the first
    is untouched and still goes down normally."""
    name = "same{}".format(os.getpid())
    a = tmp_path / "a"
    b = tmp_path / "b"
    a.mkdir()
    b.mkdir()
    fa = variant(a, "rs-two-nvas", name)
    fb = variant(b, "rs-two-nvas", name)
    res = lab(state_dir, "up", fa)
    assert res.returncode == 0, res.stderr
    try:
        for args in (["up", fb], ["up", "--force", fb], ["down", fb], ["status", fb], ["vtysh", fb, "rs", "show version"]):
            res = lab(state_dir, *args)
            assert res.returncode == 1, (args, res)
            assert "a lab named '{}' is up from another file, {}".format(name, fa) in res.stderr, (args, res.stderr)
            assert len(res.stderr.strip().splitlines()) == 1, res.stderr
        st = json.loads(lab(state_dir, "status", fa, "--json").stdout)
        assert st["up"] and all(d["running"] for n in st["nodes"].values() for d in n["daemons"].values()), st
    finally:
        res = lab(state_dir, "down", fa)
    assert res.returncode == 0, res.stderr
    res = lab(state_dir, "status", fb)
    assert res.returncode == 0 and "down" in res.stdout, res


def test_long_node_names_and_no_segments(tmp_path, state_dir):
    """A topology without "segments" and with 10-character node names (the
    limit: <node>-eth<i> must fit Linux's 15 characters) comes up, its
    interfaces have the documented names, and packets flow."""
    topo = {
        "name": "long{}".format(os.getpid()),
        "vnets": {"a": {"space": "10.77.0.0/16"}},
        "nodes": {
            "abcdefghij": {"kind": "host", "links": [{"vnet": "a", "ip": "10.77.0.10/16"}]},
            "h2": {"kind": "host", "links": [{"vnet": "a", "ip": "10.77.0.11/16"}]},
        },
    }
    f = tmp_path / "topology.json"
    f.write_text(json.dumps(topo))
    res = lab(state_dir, "up", str(f))
    assert res.returncode == 0, res.stderr
    try:
        t = vrslab.Topology(str(f))
        ns = "vrs-{}-abcdefghij".format(topo["name"])
        out = vrslab.run(["ip", "-n", ns, "-br", "link"]).stdout
        assert "abcdefghij-eth0" in out, out
        ok, _ = vrslab.wait_for(lambda: vrslab.run(["ip", "netns", "exec", ns, "ping", "-c", "1", "-W", "1",
                                                    "10.77.0.11"], check=False).returncode == 0,
                                timeout=10, interval=0.2)
        assert ok, "abcdefghij cannot reach h2"
        routes = lab(state_dir, "routes", str(f), "h2")
        assert routes.returncode == 0 and "default via 10.77.0.1" in routes.stdout, routes
        assert t.segments == {}
    finally:
        res = lab(state_dir, "down", str(f))
    assert res.returncode == 0, res.stderr


def test_dual_stack_hosts(tmp_path, state_dir):
    """IPv6 next to IPv4: addresses usable at once (no duplicate address
    detection), the VNets' IPv6 gateways, default routes, peering routes
    and main-first rules, a segment with IPv6 only, and IPv6 addresses
    that survive fail/restore link; an IPv4-only lab gets none of it."""
    topo = {
        "name": "ds{}".format(os.getpid()),
        "vnets": {"a": {"space": "10.78.0.0/16", "space6": "fd00:78::/48", "peerings": ["b"]},
                  "b": {"space": "10.79.0.0/16", "space6": "fd00:79::/48", "peerings": ["a"]}},
        "segments": {"s1": {}},
        "nodes": {
            "h1": {"kind": "host", "links": [{"vnet": "a", "ip": "10.78.0.10/16", "ip6": "fd00:78::10/48"}]},
            "h2": {"kind": "host", "links": [{"vnet": "b", "ip": "10.79.0.10/16", "ip6": "fd00:79::10/48"}]},
            "h3": {"kind": "host", "links": [{"segment": "s1", "ip6": "fd00:99::3/64"}]},
            "h4": {"kind": "host", "links": [{"segment": "s1", "ip6": "fd00:99::4/64"}],
                   "routes": [{"prefix": "fd00:98::/48", "via": "fd00:99::3"}]},
        },
    }
    f = tmp_path / "topology.json"
    f.write_text(json.dumps(topo))
    res = lab(state_dir, "up", str(f))
    assert res.returncode == 0, res.stderr

    def ns(node):
        return "vrs-{}-{}".format(topo["name"], node)

    def ping6(node, dest):
        return vrslab.run(["ip", "netns", "exec", ns(node), "ping", "-6", "-c", "1", "-W", "1", dest],
                          check=False).returncode == 0

    try:
        for node in ("h1", "h2", "h3", "h4"):
            out = vrslab.run(["ip", "-n", ns(node), "-6", "addr", "show"]).stdout
            assert "tentative" not in out and "fd00:" in out, (node, out)
        va = "vrs-{}-v-a".format(topo["name"])
        assert "fd00:78::1/48" in vrslab.run(["ip", "-n", va, "-6", "addr", "show", "dev", "lan"]).stdout
        rules = vrslab.run(["ip", "-n", va, "-6", "rule", "show"]).stdout
        assert "100:\tfrom all lookup main suppress_prefixlength 0" in rules, rules
        assert "fd00:79::/48 dev lan" in vrslab.run(["ip", "-n", va, "-6", "route", "show"]).stdout
        routes = lab(state_dir, "routes", str(f), "h1")
        assert routes.returncode == 0 and "default via fd00:78::1 " in routes.stdout, routes
        assert "fd00:98::/48 via fd00:99::3 " in lab(state_dir, "routes", str(f), "h4").stdout
        for src, dest in (("h1", "fd00:79::10"), ("h2", "fd00:78::10"), ("h3", "fd00:99::4")):
            ok, _ = vrslab.wait_for(lambda: ping6(src, dest), timeout=10, interval=0.2)
            assert ok, "{} cannot reach {} over IPv6".format(src, dest)
        assert lab(state_dir, "fail", str(f), "link", "h1").returncode == 0
        assert not ping6("h1", "fd00:79::10")
        assert lab(state_dir, "restore", str(f), "link", "h1").returncode == 0
        out = vrslab.run(["ip", "-n", ns("h1"), "-6", "addr", "show", "dev", "h1-eth0"]).stdout
        assert "fd00:78::10/48" in out, out
        ok, _ = vrslab.wait_for(lambda: ping6("h1", "fd00:79::10"), timeout=10, interval=0.2)
        assert ok, vrslab.run(["ip", "-n", ns("h1"), "-6", "route"]).stdout
    finally:
        res = lab(state_dir, "down", str(f))
    assert res.returncode == 0, res.stderr

    # Control: an IPv4-only lab has no IPv6 gateway or rule of the lab's.
    topo4 = {"name": "v4{}".format(os.getpid()), "vnets": {"a": {"space": "10.78.0.0/16"}},
             "nodes": {"h1": {"kind": "host", "links": [{"vnet": "a", "ip": "10.78.0.10/16"}]}}}
    f.write_text(json.dumps(topo4))
    res = lab(state_dir, "up", str(f))
    assert res.returncode == 0, res.stderr
    try:
        va = "vrs-{}-v-a".format(topo4["name"])
        assert "inet6 fd" not in vrslab.run(["ip", "-n", va, "-6", "addr", "show"]).stdout
        assert "suppress_prefixlength" not in vrslab.run(["ip", "-n", va, "-6", "rule", "show"]).stdout
    finally:
        res = lab(state_dir, "down", str(f))
    assert res.returncode == 0, res.stderr


def test_node_name_limit_message(tmp_path):
    """Longer names, or a 10-character name with more than 10 links, are
    refused with the limit that applies."""
    f = tmp_path / "topology.json"
    f.write_text(json.dumps({"name": "t", "nodes": {"abcdefghijk": {"kind": "host"}}}))
    with pytest.raises(vrslab.LabError, match=r'nodes: name "abcdefghijk" is not allowed: must be 1-10 chars'):
        vrslab.Topology(str(f))
    links = [{"segment": "s1", "ip": "10.0.{}.1/24".format(i)} for i in range(11)]
    f.write_text(json.dumps({"name": "t", "segments": {"s1": {}},
                             "nodes": {"abcdefghij": {"kind": "router", "links": links}}}))
    with pytest.raises(vrslab.LabError) as err:
        vrslab.Topology(str(f))
    assert ("node 'abcdefghij': its interface abcdefghij-eth10 would be longer than Linux's 15 characters; "
            "with 11 links a node name may have at most 9 characters") in str(err.value), str(err.value)
