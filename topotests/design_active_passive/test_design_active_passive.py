#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Dual-homed spoke, active/passive (configs/dual-homed-ap): hub2's NVA
prepends its AS path, so the route servers program only hub1's NVA into
the VMs; when hub1's NVA fails, the VMs fail over to hub2 and come back.
"""

import os
import sys
import time

CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, ".."))

from lib.topolog import logger  # noqa: E402

import vrstest  # noqa: E402

TOPO = vrstest.load_topology("dual-homed-ap")
import vrslab  # noqa: E402

NVA1, NVA2 = "10.1.0.10", "10.3.0.10"
LAB = None


def setup_module(mod):
    global LAB
    LAB = vrslab.Lab(TOPO)
    LAB.up(log=logger.info)


def teardown_module(mod):
    if LAB and LAB.is_up():
        LAB.down(log=logger.info)


def nexthops(vm):
    return LAB.vm_nexthops(vm, "192.168.0.0/16")


def test_active_nva_only():
    ok, _ = vrslab.wait_for(lambda: all(nexthops(vm) == [NVA1] for vm in ("vm1", "vm2")),
                            timeout=60)
    assert ok, {vm: nexthops(vm) for vm in ("vm1", "vm2")}
    # The passive path is known, just not preferred (longer AS path).
    paths = LAB.vtysh_json("rs0", "show route-server neighbor {} learned-routes json".format(NVA2))
    route = paths.get("learnedRoutes", {}).get("192.168.0.0/16", {})
    assert route.get("status") == "accepted" and route.get("asPath") == "65002 65002 65002 65002 65100", route
    ok, _ = vrslab.wait_for(lambda: LAB.exec("vm1", ["ping", "-c1", "-W1", "192.168.1.10"]).returncode == 0,
                            timeout=10, interval=0.2)
    assert ok


def test_failover_to_passive_and_back():
    LAB.fail("silent", "nva1")
    try:
        t0 = time.monotonic()
        ok, _ = vrslab.wait_for(lambda: nexthops("vm1") == [NVA2], timeout=20, interval=0.01)
        assert ok, nexthops("vm1")
        logger.info("active NVA silent -> passive NVA programmed after %.3f s", time.monotonic() - t0)
        ok, _ = vrslab.wait_for(lambda: LAB.exec("vm1", ["ping", "-c1", "-W1", "192.168.1.10"]).returncode == 0,
                                timeout=10, interval=0.2)
        assert ok, "no traffic through the passive hub"
    finally:
        LAB.restore("silent", "nva1")
    ok, secs = vrslab.wait_for(lambda: nexthops("vm1") == [NVA1], timeout=90)
    assert ok, "did not fail back to the active NVA: {}\n{}\n{}".format(
        nexthops("vm1"), LAB.vtysh("rs0", "show route-server"), LAB.vtysh("nva1", "show bgp ipv4 unicast summary"))
    logger.info("active NVA restored -> programmed again after %.3f s", secs)
