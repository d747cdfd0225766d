# SPDX-License-Identifier: GPL-2.0-or-later
"""Helpers shared by the rs_contract topotests (topology configs/rs-contract).

    nva1 (65001) .11 --\\                    /-- er  (iBGP 65515) .21
                        s1 10.0.0.0/24 -- rs (65515, bgpd_rs) .4
    nva2 (65002) .12 --/                    \\-- vpn (iBGP 65515) .22
"""

import os
import sys

CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, ".."))

import pytest  # noqa: E402
from lib import topotest  # noqa: E402
from lib.topogen import get_topogen  # noqa: E402

import vrstest  # noqa: E402

RS, NVA1, NVA2, ER, VPN = "10.0.0.4", "10.0.0.11", "10.0.0.12", "10.0.0.21", "10.0.0.22"
SPEAKERS = {"nva1": 65001, "nva2": 65002, "er": 65515, "vpn": 65515}
TOPO = vrstest.load_topology("rs-contract")


def setup(mod):
    return vrstest.setup_topogen(mod, TOPO)


def teardown(mod):
    vrstest.teardown_topogen(mod)


# What the RS receives from each speaker in the starting state (the
# speakers' configs in configs/rs-contract): every test restores it.
START_PFX_RCD = {NVA1: 6, NVA2: 3, ER: 2, VPN: 2}


def tgen_alive():
    """Skip only when a daemon died: every contract test restores what it
    changes, so one failed verdict does not hide the others (FRR's conftest
    would skip everything after a failure)."""
    tgen = get_topogen()
    for router in tgen.routers().values():
        dead = router.check_router_running()
        if dead:
            pytest.skip(dead)
    return tgen


def tgen_ok(timeout=60):
    """The topology, once it is in its starting state: every daemon
    running, every session Established on both ends, and the RS has
    received each speaker's routes. Each test calls this first, so any one
    of them can run alone (pytest -k) without racing session start-up."""
    tgen = tgen_alive()
    vrstest.wait_established({r(n): [RS] for n in SPEAKERS}, timeout=timeout)
    res = expect_rs({"neighbors": {a: {"state": "Established", "pfxRcd": n}
                                   for a, n in START_PFX_RCD.items()}},
                    count=int(timeout * 4))
    assert res is None, "RS not in its starting state: {}".format(res)
    return tgen


def tgen_for_leaks():
    return tgen_alive()


def r(name):
    return get_topogen().gears[name]


def rs_conf(*lines):
    """Configuration lines under router bgp 65515 on rs; returns the output."""
    return vrstest.vtysh_conf(r("rs"), "router bgp 65515", *lines)


def speaker_conf(name, *lines):
    return vrstest.vtysh_conf(r(name), *lines)


def soft_out(name):
    """Make a speaker re-send its routes to the route server."""
    return r(name).vtysh_cmd("clear bgp ipv4 unicast {} soft out".format(RS))


def rs_state():
    return vrstest.vtysh_json(r("rs"), "show route-server json")["instances"]["default"]


def rs_neighbor(addr):
    return rs_state()["neighbors"][addr]


def expect_rs(expected, count=120, wait=0.25):
    return vrstest.expect_json(r("rs"), "show route-server json",
                               {"instances": {"default": expected}}, count=count, wait=wait)


def all_established(count=240):
    """Poll until every route-server neighbor is Established."""
    res = expect_rs({"neighbors": {a: {"state": "Established"}
                                   for a in (NVA1, NVA2, ER, VPN)}}, count=count)
    assert res is None, "sessions not Established: {}".format(res)


def bgp_routes(name):
    """{prefix: [paths]} of a router's IPv4 unicast table."""
    return vrstest.vtysh_json(r(name), "show bgp ipv4 unicast json").get("routes", {})


def rs_paths_from(name):
    """Prefixes a speaker has from the RS (peerId == RS)."""
    out = set()
    for pfx, paths in bgp_routes(name).items():
        if any(p.get("peerId") == RS for p in paths):
            out.add(pfx)
    return out


def wait_routes(name, present=(), absent=(), timeout=30):
    """Poll until a speaker has every prefix in present from the RS and none
    of absent; returns (ok, last set)."""
    last = {}

    def check():
        last["v"] = rs_paths_from(name)
        return set(present) <= last["v"] and not (set(absent) & last["v"])

    ok, _ = vrstest.wait_for(check, timeout=timeout, interval=0.2)
    return ok, last.get("v")


def effective(vnet="hub"):
    """{prefix: route} of the effective routes of a VNet's VMs (Active first)."""
    js = vrstest.vtysh_json(r("rs"), "show route-server effective-routes json")
    out = {}
    for route in js.get("vnets", {}).get(vnet, []):
        out.setdefault(route["prefix"], route)
    return out


def wait_effective(prefix, nexthops, state="Active", vnet="hub", timeout=30):
    last = {}

    def check():
        route = effective(vnet).get(prefix)
        last["v"] = route
        return route is not None and route["state"] == state and route["nextHops"] == nexthops

    ok, _ = vrstest.wait_for(check, timeout=timeout, interval=0.2)
    return ok, last.get("v")


def learned(addr):
    return vrstest.vtysh_json(r("rs"), "show route-server neighbor {} learned-routes json".format(addr))


def running(name="rs"):
    return r(name).vtysh_cmd("show running-config", daemon="bgpd")


def json_cmp(got, expected):
    return topotest.json_cmp(got, expected)


# Many prefixes at once (the ExpressRoute cap tests) -------------------------

def extra_prefixes(n):
    """n /24s from 10.60.0.0 on, for a speaker to originate."""
    return ["10.{}.{}.0/24".format(60 + i // 256, i % 256) for i in range(n)]


def speaker_file(name, lines):
    """Apply many configuration lines to a speaker through a file."""
    path = "/tmp/rsc-{}-{}.conf".format(name, os.getpid())
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    try:
        return r(name).run("{} -f {}".format(vrstest.VTYSH, path))
    finally:
        os.unlink(path)


def pfx_rcd(name):
    """Prefixes a speaker has received from the route server."""
    js = vrstest.vtysh_json(r(name), "show bgp ipv4 unicast summary json")
    return js.get("peers", {}).get(RS, {}).get("pfxRcd", 0)
