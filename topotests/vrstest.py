# SPDX-License-Identifier: GPL-2.0-or-later
"""Helpers shared by the project's topotests (paths, module loading, polls)."""

import json
import os
import re

from lib import topotest

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("VRS_BUILD", os.path.join(TOP, "build"))
MOD_RS = os.path.join(BUILD, "plugins", "bgpd", "bgpd_rs.so")
MOD_NVA = os.path.join(BUILD, "plugins", "bgpd", "bgpd_nva.so")
VTYSH = os.path.join(BUILD, "plugins", "vtysh", "vtysh")
YANG_DIR = os.path.join(TOP, "plugins", "yang")


def module_opts(*modules):
    """bgpd command-line options that load the given module files."""
    return " ".join("-M {}".format(m) for m in modules)


def vtysh_json(router, cmd, daemon=None):
    """Run a show command through the project's vtysh and parse its JSON."""
    out = router.vtysh_cmd(cmd, isjson=False, daemon=daemon)
    try:
        return json.loads(out)
    except ValueError:
        return {"_unparsable": out}


def vtysh_conf(router, *lines):
    """Apply configuration lines in "configure terminal" through vtysh.

    Returns the combined output (errors start with "%")."""
    args = " ".join('-c "{}"'.format(line) for line in ("configure terminal",) + lines)
    return router.run("{} {}".format(VTYSH, args))


def expect_json(router, cmd, expected, count=60, wait=0.5, daemon=None):
    """Poll until the JSON output of cmd contains expected (subset match)."""

    def check():
        return topotest.json_cmp(vtysh_json(router, cmd, daemon), expected)

    ok, result = topotest.run_and_expect(check, None, count=count, wait=wait)
    return result if not ok else None


def percent(out):
    """The '% ...' lines of vtysh output (its errors), without the '% '."""
    return [l.strip()[2:] for l in out.splitlines() if l.strip().startswith("% ")]


def readme_example(name):
    """The lines of the README's code block marked <!-- example: name -->."""
    with open(os.path.join(TOP, "README.md")) as f:
        text = f.read()
    m = re.search(r"<!-- example: " + re.escape(name) + r"(?:\s[^>]*)?-->\s*```\n(.*?)```",
                  text, re.S)
    assert m, "README: no {} example".format(name)
    return m.group(1).splitlines()


def wait_or_fail(pred, what, timeout=30):
    """Poll pred; fail with what (a string, or a function giving one)."""
    ok, _ = wait_for(pred, timeout=timeout, interval=0.2)
    assert ok, what() if callable(what) else what


def wait_for(predicate, timeout=30.0, interval=0.1):
    """Poll predicate until it returns a truthy value; returns (value, seconds)."""
    import sys

    scripts = os.path.join(TOP, "scripts")
    if scripts not in sys.path:
        sys.path.insert(0, scripts)
    import vrslab

    return vrslab.wait_for(predicate, timeout=timeout, interval=interval)


def module_leaks(pids):
    """What the vrs memory groups still held when bgpd exited.

    pids maps a name to the pid of a bgpd that ran with "debug
    memstats-at-exit" and has exited: it wrote what was still allocated,
    per memory group, to /tmp/frr-memstats-bgpd-<pid>-<time>. Debian's
    bgpd always leaves some of its own memory at SIGTERM; the project's
    modules account everything in groups named "vrs ..." and those must be
    empty. The files are removed; returns one line per leak."""
    import glob

    leaks = []
    for name, pid in pids.items():
        for path in glob.glob("/tmp/frr-memstats-bgpd-{}-*".format(pid)):
            group = None
            with open(path) as f:
                for line in f:
                    if "showing active allocations in memory group" in line:
                        group = line.split("memory group", 1)[1].strip()
                    elif group and group.startswith("vrs") and "memstats:" in line:
                        leaks.append("{} bgpd [{}] {}".format(name, group, line.split("memstats:", 1)[1].strip()))
            os.unlink(path)
    return leaks


def assert_no_leaks(tgen):
    """Stop every router of a topogen topology and fail if a vrs module
    left memory allocated (see module_leaks)."""
    pids = {}
    for name, router in tgen.routers().items():
        pid = router.run("cat /var/run/frr/bgpd.pid 2>/dev/null").strip()
        if pid.isdigit():
            pids[name] = pid
    for router in tgen.routers().values():
        router.stop()
    for name, pid in pids.items():
        gone, _ = wait_for(lambda: not os.path.exists("/proc/" + pid), timeout=10)
        assert gone, "{} bgpd (pid {}) did not exit".format(name, pid)
    leaks = module_leaks(pids)
    assert not leaks, "memory left allocated at exit:\n" + "\n".join(leaks)
    return True


def lab_down_assert_no_leaks(lab):
    """Take a lab down (its daemons exit on SIGTERM) and fail if a vrs
    module left memory allocated."""
    pids = {k.split("/")[0]: v for k, v in lab.state["pids"].items() if k.endswith("/bgpd")}
    lab.down(log=lambda *a: None)
    leaks = module_leaks(pids)
    assert not leaks, "memory left allocated at exit:\n" + "\n".join(leaks)
    return pids


# ------------------------------------------------------------------
# Topologies from configs/<name>/topology.json (shared with scripts/lab)



def load_topology(name):
    import sys

    scripts = os.path.join(TOP, "scripts")
    if scripts not in sys.path:
        sys.path.insert(0, scripts)
    import vrslab

    return vrslab.find_topology(name)


def build_topo_from(topo):
    """A build_topo function for Topogen from a lab topology."""

    def build_topo(tgen):
        for node in topo.nodes:
            tgen.add_router(node)
        for seg in topo.segments:
            tgen.add_switch(seg)
        for node, spec in topo.nodes.items():
            for i, link in enumerate(spec.get("links", [])):
                tgen.gears[link["segment"]].add_link(tgen.gears[node], nodeif=topo.ifname(node, i))

    return build_topo


def setup_topogen(mod, topo):
    """setup_module of a topogen test: the topology from configs/, started."""
    from lib.topogen import Topogen

    tgen = Topogen(build_topo_from(topo), mod.__name__)
    tgen.start_topology()
    start_from(tgen, topo)
    return tgen


def teardown_topogen(mod):
    from lib.topogen import get_topogen

    get_topogen().stop_topology()


def tgen_or_skip():
    """The running topology; skip (which fails the run) when a daemon died."""
    import pytest
    from lib.topogen import get_topogen

    tgen = get_topogen()
    if tgen.routers_have_failure():
        pytest.skip(tgen.errors)
    return tgen


def start_from(tgen, topo):
    """Address the links and start each router's daemons with the topology's
    configs and modules. Router addresses go into zebra's config (FRR's
    topotest flushes interface addresses when it starts a router); hosts are
    addressed directly."""
    import tempfile

    from lib.topogen import TopoRouter

    rd = {"zebra": TopoRouter.RD_ZEBRA, "staticd": TopoRouter.RD_STATIC,
          "bfdd": TopoRouter.RD_BFD, "bgpd": TopoRouter.RD_BGP}
    mods = {"rs": MOD_RS, "nva": MOD_NVA}
    confdir = tempfile.mkdtemp(prefix="vrs-conf-")
    for node, spec in topo.nodes.items():
        if spec["kind"] != "router":
            continue
        router = tgen.gears[node]
        zconf = topo.node_conf(node, "zebra")
        text = open(zconf).read() if zconf else "hostname {}\n".format(node)
        for i, link in enumerate(spec.get("links", [])):
            if link.get("ip"):
                text += "interface {}\n ip address {}\nexit\n".format(topo.ifname(node, i), link["ip"])
            if link.get("ip6"):
                text += "interface {}\n ipv6 address {}\nexit\n".format(topo.ifname(node, i), link["ip6"])
        zpath = os.path.join(confdir, node + "-zebra.conf")
        with open(zpath, "w") as f:
            f.write(text)
        for d in spec.get("daemons", ["zebra", "bgpd"]):
            if d == "zebra":
                router.load_config(rd[d], zpath)
                continue
            opts = module_opts(*[mods[m] for m in spec.get("modules", [])]) if d == "bgpd" else None
            router.load_config(rd[d], topo.node_conf(node, d), opts)
    if os.environ.get("VRS_SANITIZE") == "1":
        # ASan build (scripts/sanitize): bgpd refuses an ASan module unless
        # libasan is preloaded. FRR's router.start() inherits os.environ:
        # set for the session, so restarts get it too; FRR's topotest sends
        # each daemon's reports to <logdir>/<router>.<daemon>.asan.<pid>.
        os.environ["LD_PRELOAD"] = os.environ.get("VRS_LD_PRELOAD", "libasan.so.8")
        os.environ["LSAN_OPTIONS"] = "detect_leaks=0"  # Debian's daemons leak at exit
    tgen.start_router()
    for node, spec in topo.nodes.items():
        router = tgen.gears[node]
        if spec["kind"] != "router":
            for i, link in enumerate(spec.get("links", [])):
                if link.get("ip"):
                    router.run("ip addr add {} dev {}".format(link["ip"], topo.ifname(node, i)))
                if link.get("ip6"):
                    router.run("ip addr add {} dev {} nodad".format(link["ip6"], topo.ifname(node, i)))
        for r in spec.get("routes", []):
            router.run("ip route replace {} via {}".format(r["prefix"], r["via"]))


# ------------------------------------------------------------------
# Starting states: poll for them before measuring anything


def bgp_not_established(router, peers):
    """The peers (addresses) of router's BGP sessions that are not
    Established; [] when all are (router: a topogen router)."""
    summ = {}
    # An IPv6 address's session carries ipv6 unicast (see configs/rs-ipv6).
    for af in ("ipv4", "ipv6"):
        if any((":" in p) == (af == "ipv6") for p in peers):
            js = vtysh_json(router, "show bgp {} unicast summary json".format(af))
            summ.update(js.get("peers", {}))
    return [p for p in peers if summ.get(p, {}).get("state") != "Established"]


def wait_established(sessions, timeout=60.0):
    """Poll until every BGP session is Established.

    sessions maps a topogen router to the peer addresses it must have
    Established. Returns the seconds it took; fails the test with the
    sessions still down when the timeout passes."""
    down = {}

    def check():
        down.clear()
        for router, peers in sessions.items():
            missing = bgp_not_established(router, peers)
            if missing:
                down[router.name] = missing
        return not down

    ok, waited = wait_for(check, timeout=timeout, interval=0.2)
    assert ok, "BGP sessions not Established after {:.0f} s: {}".format(waited, down)
    return waited


def reload_test_diff(stdout):
    """The (adds, dels) lines of a `frr-reload.py --test --stdout` run."""
    dels, adds, cur = [], [], None
    for line in stdout.splitlines():
        if line.startswith("Lines To Delete"):
            cur = dels
        elif line.startswith("Lines To Add"):
            cur = adds
        elif cur is not None and line.strip() and not line.startswith("==="):
            cur.append(line.strip())
    return adds, dels
