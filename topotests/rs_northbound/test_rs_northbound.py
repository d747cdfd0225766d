# SPDX-License-Identifier: GPL-2.0-or-later
"""bgpd_rs northbound: every rule is enforced by the northbound, so vtysh,
"configuration load" + "commit" and a startup file refuse the same inputs
with the same reason and leave the running configuration untouched.

    nva1 (65001) .11 --- s1 10.0.0.0/24 --- rs  (65515, bgpd_rs, classic CLI) .4
                                       \\--- rst (65515, bgpd_rs, --tcli)      .5

rs is driven through the project's vtysh; rst runs the transactional CLI,
the only mode in which FRR 8.4 has "configuration load", and is driven
through its own vty socket (vtyclient.py): Debian's vtysh knows neither
"configuration load" nor "commit". Both start from the same route-server
config (configs/rs-northbound).
"""

import json
import os
import re
import shutil
import sys
import tempfile

import pytest

CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, ".."))

from lib.topogen import get_topogen  # noqa: E402

import vrstest  # noqa: E402

pytestmark = [pytest.mark.bgpd]

TOPO = vrstest.load_topology("rs-northbound")
VTYCLIENT = os.path.join(CWD, "vtyclient.py")
NVA1 = "10.0.0.11"
TMP = tempfile.mkdtemp(prefix="vrs-rsnb-{}-".format(os.getpid()))
os.chmod(TMP, 0o755)  # bgpd runs as user frr


def setup_module(mod):
    from lib.topogen import Topogen

    tgen = Topogen(vrstest.build_topo_from(TOPO), mod.__name__)
    tgen.start_topology()
    rst = tgen.gears["rst"]
    load = rst.load_config

    def load_tcli(daemon, source=None, param=None):
        if param is not None:
            param += " --tcli"
        return load(daemon, source, param)

    rst.load_config = load_tcli
    vrstest.start_from(tgen, TOPO)


def teardown_module(mod):
    vrstest.teardown_topogen(mod)
    shutil.rmtree(TMP, ignore_errors=True)


def r(name):
    return get_topogen().gears[name]


def running(name):
    return r(name).vtysh_cmd("show running-config", daemon="bgpd")


def rs_lines(name):
    return [line.strip() for line in running(name).splitlines() if line.strip().startswith("route-server")]


def vtysh_bgp(*lines):
    return vrstest.vtysh_conf(r("rs"), "router bgp 65515", *lines)


def vty(name, *cmds):
    return r(name).run("/usr/bin/python3 {} /var/run/frr/bgpd.vty {}".format(
        VTYCLIENT, " ".join("'{}'".format(c) for c in cmds)))


def load_commit(name, instance):
    """configuration load (merge) of a JSON file + commit; a refused commit
    leaves the candidate dirty in the transactional CLI: discard it."""
    inst = {"vrf": "default"}
    inst.update(instance)
    path = os.path.join(TMP, "load-{}.json".format(abs(hash(json.dumps(instance, sort_keys=True)))))
    with open(path, "w") as f:
        json.dump({"frr-route-server:route-server": {"instance": [inst]}}, f)
    os.chmod(path, 0o644)
    return vty(name, "configure", "configuration load file json {}".format(path), "commit", "discard", "end")


def reason(out):
    """The reason of a refusal: vtysh (classic CLI) shows it as one "% "
    line, a refused commit as FRR's "Error description:"."""
    m = re.search(r"Error description: (.*)", out)
    if m:
        return m.group(1).strip()
    lines = [line[2:].strip() for line in out.splitlines() if line.startswith("% ")]
    return lines[0] if len(lines) == 1 else None


def rs_json(name="rs"):
    return vrstest.vtysh_json(r(name), "show route-server json")


def tgen_ok():
    tgen = get_topogen()
    for router in tgen.routers().values():
        dead = router.check_router_running()
        if dead:
            pytest.skip(dead)
    vrstest.wait_established({r("rs"): [NVA1]}, timeout=60)
    return tgen


ASN4_WITHOUT = ("ASN 4200000015 is a 4-byte ASN; only 2-byte ASNs are supported (as in Azure); "
                "the route server's 4-byte opt-in 'route-server asn-4byte' accepts it")

# name, vtysh lines (under router bgp 65515), JSON of the instance, what the reason says
REFUSED = [
    ("own-space-overlap", ["route-server address-space 10.1.128.0/17"],
     {"address-space": ["10.1.128.0/17"]}, "overlaps"),
    ("own-vs-peered", ["route-server address-space 10.2.5.0/24"],
     {"address-space": ["10.2.5.0/24"]}, "cannot be peered"),
    ("peered-vs-peered", ["route-server peering spoke2 address-space 10.2.0.0/24"],
     {"peering": [{"remote-vnet": "spoke2", "address-space": ["10.2.0.0/24"]}]}, "overlapping"),
    ("remote-gw-without-transit", ["route-server peering spoke3 remote-uses-gateway"],
     {"peering": [{"remote-vnet": "spoke3", "remote-uses-gateway": True}]},
     "remote-uses-gateway needs allow-gateway-transit"),
    ("role-reserved-asn", ["route-server neighbor 10.0.0.13 role nva"],
     {"neighbor": [{"address": "10.0.0.13", "role": "nva"}]}, "12076"),
    ("role-allowas-in", ["route-server neighbor 10.0.0.14 role nva"],
     {"neighbor": [{"address": "10.0.0.14", "role": "nva"}]}, "allowas-in"),
    ("gateway-role-ebgp-asn", ["route-server neighbor 10.0.0.11 role expressroute-gateway"],
     {"neighbor": [{"address": "10.0.0.11", "role": "expressroute-gateway"}]}, "65001"),
    ("role-4byte-without-opt-in", ["route-server neighbor 10.0.0.15 role nva"],
     {"neighbor": [{"address": "10.0.0.15", "role": "nva"}]}, ASN4_WITHOUT),
    ("role-4byte-documentation", ["route-server neighbor 10.0.0.16 role nva"],
     {"neighbor": [{"address": "10.0.0.16", "role": "nva"}]},
     "ASN 65540 is a 4-byte ASN, and reserved by IANA for documentation (65536-65551, RFC 5398)"),
    ("role-4byte-last", ["route-server neighbor 10.0.0.17 role nva"],
     {"neighbor": [{"address": "10.0.0.17", "role": "nva"}]},
     "ASN 4294967295 is a 4-byte ASN, and reserved by IANA (4294967295, RFC 7300)"),
    ("unknown-neighbor", ["route-server neighbor 10.0.0.99 role nva"],
     {"neighbor": [{"address": "10.0.0.99", "role": "nva"}]}, "not configured"),
    ("fabric-relative-socket", ["route-server fabric socket run/agent.sock instance 0"],
     {"fabric": {"socket": "run/agent.sock"}}, "absolute path"),
    # Route maps on peerings (issue 15, part 3): Azure's restrictions.
    ("route-map-set-action", ["route-server neighbor 10.0.0.11 route-map RM-NEXT-HOP in"],
     {"neighbor": [{"address": "10.0.0.11", "role": "nva", "route-map-in": "RM-NEXT-HOP"}]},
     "route-map RM-NEXT-HOP entry 10: set action ipv4-next-hop is not allowed"),
    ("route-map-4byte-asn", ["route-server neighbor 10.0.0.11 route-map RM-4BYTE out"],
     {"neighbor": [{"address": "10.0.0.11", "role": "nva", "route-map-out": "RM-4BYTE"}]},
     "AS 4200000001 is not a 2-byte AS number"),
    ("route-map-module-name", ["route-server neighbor 10.0.0.11 route-map VRS-RS-IN in"],
     {"neighbor": [{"address": "10.0.0.11", "role": "nva", "route-map-in": "VRS-RS-IN"}]},
     "route server's own maps"),
    # Summaries of peering route-maps: the VNet space cannot be changed.
    ("summary-in-vnet-space", ["route-server route-map SUMM summarize 10.1.4.0/24"],
     {"route-map-summary": [{"route-map": "SUMM", "prefix": "10.1.4.0/24"}]},
     "route-map SUMM: summary 10.1.4.0/24 is inside the address space 10.1.0.0/16 of the "
     "route server's VNet hub"),
    ("summary-ipv6-without-opt-in", ["route-server route-map SUMM summarize fd00:60::/32"],
     {"route-map-summary": [{"route-map": "SUMM", "prefix": "fd00:60::/32"}]},
     "route-map SUMM: summary fd00:60::/32 is IPv6: the route server is IPv4 only"),
]


VM_GONE = ("route-server vm is no longer a route-server setting: VMs are declared to "
           "vnet-agent (--vm NAME=VNET,ip=ADDR in its configuration); the route server "
           "publishes one table per VNet")


def test_startup_file_refused_line():
    """rs's startup file ends with an address space overlapping the VNet's
    own and a VM line of the old form: both refused with the reason (in
    bgpd's log), the rest is in place."""
    tgen_ok()
    lines = rs_lines("rs")
    assert "route-server address-space 10.1.0.0/16" in lines, lines
    assert "route-server peering spoke1 remote-uses-gateway" in lines, lines
    assert not any("10.1.128.0/17" in line for line in lines), lines
    assert not any("route-server vm" in line for line in lines), lines
    log = r("rs").run("cat {}/rs/bgpd.log".format(get_topogen().logdir))
    assert "address space 10.1.128.0/17 overlaps 10.1.0.0/16 of VNet hub" in log
    assert "refused 'route-server vm vm1 vnet hub': " + VM_GONE in log, log[-2000:]
    assert "configuration refused: " + ASN4_WITHOUT in log, log[-2000:]
    assert not any("10.0.0.15" in line for line in lines), lines
    assert rs_lines("rst") == [line for line in lines], (rs_lines("rst"), lines)


def test_startup_file_refused_route_map():
    """rs's startup file references RM-4BYTE (a 4-byte prepend) on nva1's
    peering: refused with the reason in bgpd's log, no route-map line."""
    tgen_ok()
    assert not any("route-map" in line for line in rs_lines("rs")), rs_lines("rs")
    log = r("rs").run("cat {}/rs/bgpd.log".format(get_topogen().logdir))
    assert ("neighbor 10.0.0.11 route-map RM-4BYTE in: route-map RM-4BYTE entry 10: "
            "set as-path prepend: AS 4200000001 is not a 2-byte AS number") in log, log[-2000:]


def test_route_server_vm_refused():
    """The VM line of protocol 1 is refused by vtysh and the transactional
    CLI with the reason (VMs are the agent's). The model has no vm list:
    FRR's JSON loader drops unknown nodes without a word (it does not parse
    strictly), so a JSON load with one configures nothing. Running stays
    as it was."""
    tgen_ok()
    before = {n: running(n) for n in ("rs", "rst")}
    for line in ("route-server vm vm1 vnet hub", "no route-server vm vm1"):
        out = vtysh_bgp(line)
        assert out.strip() == "% " + VM_GONE, out
    out = vty("rst", "configure", "router bgp 65515", "route-server vm vm1 vnet hub", "end")
    assert VM_GONE in out, out
    out = load_commit("rst", {"vm": [{"name": "vm1", "vnet": "hub"}]})
    assert "No configuration changes to commit" in out, out
    for n in ("rs", "rst"):
        assert running(n) == before[n], "{}: running-config changed".format(n)


@pytest.mark.parametrize("case", REFUSED, ids=[c[0] for c in REFUSED])
def test_refused_same_reason_both_paths(case):
    _, cli, inst, expect = case
    tgen_ok()
    before = {n: running(n) for n in ("rs", "rst")}
    model_before = rs_json("rs")["instances"]["default"]["addressSpaces"]

    out_cli = vtysh_bgp(*cli)
    out_json = load_commit("rst", inst)
    why_cli, why_json = reason(out_cli), reason(out_json)
    assert why_cli and expect in why_cli, out_cli
    assert why_json == why_cli, out_json
    assert out_cli.strip() == "% " + why_cli, "not one line: {!r}".format(out_cli)
    assert "Error type: validation" in out_json, out_json
    for n in ("rs", "rst"):
        assert running(n) == before[n], "{}: running-config changed".format(n)
    assert rs_json("rs")["instances"]["default"]["addressSpaces"] == model_before


ASN4_IN_USE = ("4-byte ASNs are in use by route-server neighbor 10.0.0.15 (AS 4200000015): "
               "remove its role first ('no route-server neighbor A', before or in the same "
               "commit); without 'route-server asn-4byte' NVAs must use 2-byte ASNs")


def test_asn_4byte_opt_in_both_paths():
    """route-server asn-4byte through vtysh (rs) and configuration load +
    commit (rst): with it the 4-byte NVA is accepted, IANA's reserved
    4-byte ASNs are still refused (same reason both ways, no hint at the
    opt-in), turning it off while the NVA has its role is refused by both
    paths with the same reason, and the role and the opt-in go in one
    commit in either order. Running-config prints the opt-in before the
    neighbors; at the end both are as they started."""
    tgen_ok()
    before = {n: running(n) for n in ("rs", "rst")}
    out = vtysh_bgp("route-server asn-4byte")
    assert "%" not in out, out
    out = load_commit("rst", {"asn-4byte": True})
    assert "Error" not in out, out
    for n in ("rs", "rst"):
        assert "route-server asn-4byte" in rs_lines(n), rs_lines(n)
        assert rs_json(n)["instances"]["default"]["asn4Byte"] is True

    with_opt_in = {n: running(n) for n in ("rs", "rst")}
    for addr, why in (("10.0.0.16", "ASN 65540 is reserved by IANA for documentation "
                       "(65536-65551, RFC 5398); NVAs must use another 2-byte or 4-byte "
                       "ASN (private: 4200000000-4294967294)"),
                      ("10.0.0.17", "ASN 4294967295 is reserved by IANA (4294967295, RFC 7300)")):
        out_cli = vtysh_bgp("route-server neighbor {} role nva".format(addr))
        out_json = load_commit("rst", {"neighbor": [{"address": addr, "role": "nva"}]})
        assert reason(out_cli) and why in reason(out_cli), out_cli
        assert "asn-4byte" not in reason(out_cli), out_cli
        assert reason(out_json) == reason(out_cli), out_json
    for n in ("rs", "rst"):
        assert running(n) == with_opt_in[n], "{}: running-config changed".format(n)

    out = vtysh_bgp("route-server neighbor 10.0.0.15 role nva")
    assert "%" not in out, out
    out = load_commit("rst", {"neighbor": [{"address": "10.0.0.15", "role": "nva"}]})
    assert "Error" not in out, out
    for n in ("rs", "rst"):
        lines = rs_lines(n)
        assert lines.index("route-server asn-4byte") < lines.index(
            "route-server neighbor 10.0.0.15 role nva"), lines
        assert lines.index("route-server") < lines.index("route-server asn-4byte"), lines
    assert rs_lines("rs") == rs_lines("rst"), (rs_lines("rs"), rs_lines("rst"))

    in_use = {n: running(n) for n in ("rs", "rst")}
    out_cli = vtysh_bgp("no route-server asn-4byte")
    out_json = load_commit("rst", {"asn-4byte": False})
    out_tcli = vty("rst", "configure", "router bgp 65515", "no route-server asn-4byte",
                   "commit", "discard", "end")
    assert reason(out_cli) == ASN4_IN_USE, out_cli
    assert out_cli.strip() == "% " + ASN4_IN_USE, out_cli
    assert reason(out_json) == ASN4_IN_USE, out_json
    assert reason(out_tcli) == ASN4_IN_USE, out_tcli
    for n in ("rs", "rst"):
        assert running(n) == in_use[n], "{}: running-config changed".format(n)

    # one commit: the opt-in off before the role goes (order is free)
    out = vty("rst", "configure", "router bgp 65515", "no route-server asn-4byte",
              "no route-server neighbor 10.0.0.15", "commit", "end")
    assert "Error" not in out, out
    assert running("rst") == before["rst"]
    # and back in one commit, the role before the opt-in
    out = vty("rst", "configure", "router bgp 65515", "route-server neighbor 10.0.0.15 role nva",
              "route-server asn-4byte", "commit", "end")
    assert "Error" not in out, out
    assert running("rst") == in_use["rst"]
    out = vty("rst", "configure", "router bgp 65515", "no route-server neighbor 10.0.0.15",
              "no route-server asn-4byte", "commit", "end")
    assert "Error" not in out, out
    # vtysh: one line at a time, the role first
    out = vtysh_bgp("no route-server neighbor 10.0.0.15", "no route-server asn-4byte")
    assert "%" not in out, out
    for n in ("rs", "rst"):
        assert running(n) == before[n], "{}: not back to the start".format(n)
        assert rs_json(n)["instances"]["default"]["asn4Byte"] is False


def test_cli_keeps_only_syntax_checks():
    """A YANG-typed value the CLI still checks itself (length): refused
    before anything is enqueued."""
    tgen_ok()
    before = running("rs")
    out = vtysh_bgp("route-server peering {} address-space 10.9.0.0/16".format("x" * 40))
    assert "too long" in out, out
    assert running("rs") == before


def test_peering_flags_order_within_one_commit():
    """remote-uses-gateway before allow-gateway-transit in one commit is
    accepted (the rule is checked on the final candidate); as two commits
    in that order the first is refused and running stays clean."""
    tgen_ok()
    out = vty("rst", "configure", "router bgp 65515",
              "route-server peering spoke4 remote-uses-gateway",
              "route-server peering spoke4 allow-gateway-transit",
              "route-server peering spoke4 address-space 10.4.0.0/16",
              "commit", "end")
    assert "Error type" not in out, out
    lines = rs_lines("rst")
    for want in ("route-server peering spoke4 remote-uses-gateway",
                 "route-server peering spoke4 allow-gateway-transit"):
        assert want in lines, (want, lines)

    inst = {"peering": [{"remote-vnet": "spoke5", "remote-uses-gateway": True,
                         "allow-gateway-transit": True, "address-space": ["10.5.0.0/16"]}]}
    out = load_commit("rst", inst)
    assert "Error type" not in out, out
    assert "route-server peering spoke5 remote-uses-gateway" in rs_lines("rst")

    before = running("rs")
    out = vtysh_bgp("route-server peering spoke6 remote-uses-gateway")
    assert "remote-uses-gateway needs allow-gateway-transit" in (reason(out) or ""), out
    assert running("rs") == before
    out = vtysh_bgp("route-server peering spoke6 allow-gateway-transit",
                    "route-server peering spoke6 remote-uses-gateway")
    assert "%" not in out, out
    assert "route-server peering spoke6 remote-uses-gateway" in rs_lines("rs")
    # later changes are not blocked by anything left behind
    out = vtysh_bgp("route-server address-space 10.7.0.0/16", "no route-server peering spoke6",
                    "no route-server address-space 10.7.0.0/16")
    assert "%" not in out, out


def nbr(addr="10.0.0.11"):
    return rs_json("rs")["instances"]["default"]["neighbors"].get(addr, {})


def rs_has_route(prefix):
    out = vrstest.vtysh_json(r("rs"), "show bgp ipv4 unicast {} json".format(prefix))
    return bool(out.get("paths"))


def wait(pred, what, timeout=30):
    ok, _ = vrstest.wait_for(pred, timeout=timeout, interval=0.2)
    assert ok, what


def test_bgpd_side_changes_make_neighbor_unmanaged():
    tgen_ok()
    wait(lambda: rs_has_route("10.50.0.0/24"), "rs never learned nva1's 10.50.0.0/24")
    assert nbr()["managed"] is True and "unmanagedReason" not in nbr()

    out = vrstest.vtysh_conf(r("rs"), "router bgp 65515", "address-family ipv4 unicast",
                             "neighbor 10.0.0.11 allowas-in 1")
    assert "%" not in out, out
    wait(lambda: nbr().get("managed") is False, "allowas-in: still managed: {}".format(nbr()))
    assert "allowas-in" in nbr()["unmanagedReason"], nbr()
    text = r("rs").vtysh_cmd("show route-server", daemon="bgpd")
    assert "not managed" in text and "allowas-in" in text, text
    # its routes are dropped while it is unmanaged
    wait(lambda: not rs_has_route("10.50.0.0/24"), "unmanaged nva1's route still used")
    wait(lambda: nbr().get("accepted") == 0, "accepted from unmanaged nva1: {}".format(nbr()))
    # counted under their own reason, not as a policy drop
    drops = nbr()["droppedByReason"]
    # (nva1 also echoes what it learned from rs: those are AS-loop drops)
    assert drops["notManaged"] == nbr()["received"] - drops["asLoop"] >= 1, nbr()
    assert drops["policy"] == 0, nbr()
    learned = vrstest.vtysh_json(r("rs"), "show route-server neighbor 10.0.0.11 learned-routes json")
    route = learned["learnedRoutes"]["10.50.0.0/24"]
    assert route["status"] == "dropped" and route["reason"] == "notManaged", learned

    vrstest.vtysh_conf(r("rs"), "router bgp 65515", "address-family ipv4 unicast",
                       "no neighbor 10.0.0.11 allowas-in")
    wait(lambda: nbr().get("managed") is True, "still unmanaged after no allowas-in")
    wait(lambda: rs_has_route("10.50.0.0/24"), "route not back after no allowas-in")

    vrstest.vtysh_conf(r("rs"), "router bgp 65515", "neighbor 10.0.0.11 remote-as 12076")
    wait(lambda: nbr().get("managed") is False, "remote-as 12076: still managed")
    assert "12076" in nbr()["unmanagedReason"], nbr()
    assert "route-server neighbor 10.0.0.11 role nva" in rs_lines("rs")

    vrstest.vtysh_conf(r("rs"), "router bgp 65515", "neighbor 10.0.0.11 remote-as 65001")
    wait(lambda: nbr().get("managed") is True, "still unmanaged after remote-as 65001")
    vrstest.wait_established({r("rs"): [NVA1]}, timeout=60)
    wait(lambda: rs_has_route("10.50.0.0/24"), "route not back after remote-as 65001")


def _up_seconds(router, addr):
    js = vrstest.vtysh_json(router, "show bgp neighbors {} json".format(addr)).get(addr, {})
    if js.get("bgpState") != "Established":
        return 0
    return js.get("bgpTimerUpMsec", 0) / 1000.0


def test_bfd_without_bfdd_is_reported():
    """rs runs no bfdd (issue 9: 'warns on drift, e.g. bfdd not
    running'): nva1's neighbor has bfd and an Established session; once
    it has been up 10 s with nothing from bfdd, the neighbor says so in
    JSON (effective.bfddSilent, effective.bfd unknown) and in text.
    rs_contract (with bfdd) checks the opposite."""
    tgen_ok()
    wait(lambda: _up_seconds(r("rs"), NVA1) >= 11, "nva1 not up 11 s: {}".format(nbr()), timeout=60)
    wait(lambda: nbr().get("effective", {}).get("bfddSilent") is True,
         "bfddSilent not set without bfdd: {}".format(nbr()))
    assert nbr()["effective"]["bfd"] == "unknown", nbr()
    text = r("rs").vtysh_cmd("show route-server", daemon="bgpd")
    assert "BFD configured but bfdd reports nothing: is bfdd running?" in text, text


def vrs_memory():
    """Current allocation counts of the vrs memory groups of rs's bgpd."""
    out = r("rs").vtysh_cmd("show memory", daemon="bgpd")
    counts, group = {}, None
    for line in out.splitlines():
        if line.startswith("--- qmem"):
            group = line.strip("- ").split("qmem", 1)[1].strip()
            continue
        if group and group.startswith("vrs") and ":" in line:
            name, rest = line.split(":", 1)
            fields = rest.split()
            if fields and fields[0].isdigit():
                counts["{}/{}".format(group, name.strip())] = int(fields[0])
    return counts


RS_CONFIG = ["route-server", "route-server vnet-name hub", "route-server address-space 10.1.0.0/16",
             "route-server peering spoke1", "route-server peering spoke1 address-space 10.2.0.0/16",
             "route-server peering spoke1 allow-gateway-transit",
             "route-server peering spoke1 remote-uses-gateway",
             "route-server neighbor 10.0.0.11 role nva"]
BGP_CONFIG = ["bgp router-id 10.0.0.4", "no bgp ebgp-requires-policy",
              "bgp bestpath as-path multipath-relax",
              "neighbor 10.0.0.11 remote-as 65001", "neighbor 10.0.0.11 bfd",
              "neighbor 10.0.0.11 ebgp-multihop 255",
              "neighbor 10.0.0.11 disable-connected-check", "neighbor 10.0.0.11 timers 1 3",
              "address-family ipv4 unicast",
              "neighbor 10.0.0.11 soft-reconfiguration inbound",
              "neighbor 10.0.0.11 route-map VRS-RS-IN in",
              "neighbor 10.0.0.11 route-map VRS-RS-OUT-NVA out",
              "exit-address-family"]


def test_no_router_bgp_leaves_nothing():
    tgen_ok()
    assert vrs_memory(), "no vrs memory group in show memory"
    out = vrstest.vtysh_conf(r("rs"), "no router bgp 65515")
    assert "%" not in out, out
    wait(lambda: not rs_lines("rs"), "route-server lines after no router bgp: {}".format(rs_lines("rs")))
    wait(lambda: vrs_memory().get("vrs bgpd_rs/Route-server instance", 0) == 0,
         "instance memory after no router bgp: {}".format(vrs_memory()))
    base = vrs_memory()

    out = vrstest.vtysh_conf(r("rs"), "router bgp 65515", *BGP_CONFIG)
    assert "%" not in out, out
    assert "router bgp 65515" in running("rs")
    assert not rs_lines("rs"), rs_lines("rs")
    assert "No route server configured" in r("rs").vtysh_cmd("show route-server", daemon="bgpd")
    # A new route-server command brings back nothing of the old instance.
    vrstest.vtysh_conf(r("rs"), "router bgp 65515", "route-server vnet-name again")
    assert rs_lines("rs") == ["route-server", "route-server vnet-name again"], rs_lines("rs")

    out = vrstest.vtysh_conf(r("rs"), "router bgp 65515", *RS_CONFIG)
    assert "%" not in out, out
    vrstest.wait_established({r("rs"): [NVA1]}, timeout=60)
    wait(lambda: rs_has_route("10.50.0.0/24"), "route-server not working after re-creation")
    assert nbr()["managed"] is True

    vrstest.vtysh_conf(r("rs"), "no router bgp 65515")
    wait(lambda: not rs_lines("rs"), "route-server lines after the second no router bgp")
    wait(lambda: vrs_memory() == base, "vrs memory not back to baseline:\n{}\n{}".format(base, vrs_memory()))

    # leave rs as it started (for a re-run of single tests)
    vrstest.vtysh_conf(r("rs"), "router bgp 65515", *(BGP_CONFIG + RS_CONFIG))
    vrstest.wait_established({r("rs"): [NVA1]}, timeout=60)


def test_no_leaks_at_exit():
    """Stop every router: the vrs memory groups are empty at exit."""
    tgen = get_topogen()
    assert vrstest.assert_no_leaks(tgen)
