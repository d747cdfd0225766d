#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
r"""A 4-byte local AS on the NVA side (bgpd_nva) as an explicit opt-in,
on real sessions:

    rs0 (65515) .4 --\
                      s1 10.0.0.0/24 -- nva4 (4200000001) .14
    rs1 (65515) .5 --/                  nva5 (4200000002) .15, --tcli

rs0/rs1 are the two instances of a route server with `route-server
asn-4byte` and nva4 as an NVA. nva4's startup file has the bgpd lines
of a template and the template without `route-server-nva asn-4byte`:
the template is refused (bgpd's log has the reason), the sessions come
up, but nothing passes (the template's route-maps do not exist). Its
second instance (AS 65540, VRF doc, no sessions) has the opt-in and a
template: refused, IANA reserves 65540. The README's example (the
opt-in, then the template) makes the template apply: the route server
accepts nva4's 10.60.0.0/24 with its 4-byte AS. Turning the opt-in off
is refused while the template exists; removal (vtysh, or frr-reload.py
run twice: its deletions are one pass) gives back the startup
running-config. nva5 runs bgpd with --tcli (FRR
8.4's only mode with configuration load + commit): the same reasons
there. The topology is configs/nva-asn4byte.
"""

import json
import os
import shutil
import sys
import tempfile

import pytest

CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, ".."))

from lib.topogen import Topogen, get_topogen  # noqa: E402

import vrstest  # noqa: E402

pytestmark = [pytest.mark.bgpd]

TOPO = vrstest.load_topology("nva-asn4byte")
VTYCLIENT = os.path.join(CWD, "..", "rs_northbound", "vtyclient.py")
TMP = tempfile.mkdtemp(prefix="vrs-nva4b-{}-".format(os.getpid()))
os.chmod(TMP, 0o755)  # bgpd runs as user frr

NVA4, NVA4_AS = "10.0.0.14", 4200000001
NVA5_AS = 4200000002
INST = ("10.0.0.4", "10.0.0.5")
P4 = "10.60.0.0/24"
SHOW = "show route-server-peering json"


def without(asn):
    return ("this NVA's local AS {0} cannot peer a route server: ASN {0} is a 4-byte ASN; "
            "only 2-byte ASNs are supported (as in Azure); the NVA's 4-byte opt-in "
            "'route-server-nva asn-4byte' accepts it (and the route server needs "
            "'route-server asn-4byte')".format(asn))


RESERVED = ("this NVA's local AS 65540 cannot peer a route server: ASN 65540 is reserved by "
            "IANA for documentation (65536-65551, RFC 5398); NVAs must use another 2-byte or "
            "4-byte ASN (private: 4200000000-4294967294)")


def off_in_use(asn, names):
    return ("this NVA's local AS {} is a 4-byte ASN and route-server-peering {} depends on it: "
            "remove the peerings first ('no route-server-peering NAME', before or in the same "
            "commit); without 'route-server-nva asn-4byte' the templates need a 2-byte local "
            "AS".format(asn, names))


def setup_module(mod):
    tgen = Topogen(vrstest.build_topo_from(TOPO), mod.__name__)
    tgen.start_topology()
    nva5 = tgen.gears["nva5"]
    load = nva5.load_config

    def load_tcli(daemon, source=None, param=None):
        if param is not None:
            param += " --tcli"
        return load(daemon, source, param)

    nva5.load_config = load_tcli
    vrstest.start_from(tgen, TOPO)


def teardown_module(mod):
    vrstest.teardown_topogen(mod)
    shutil.rmtree(TMP, ignore_errors=True)


def r(name):
    return get_topogen().gears[name]


def running(name="nva4"):
    return r(name).vtysh_cmd("show running-config", daemon="bgpd")


def nva_lines(name="nva4"):
    return [l.strip() for l in running(name).splitlines() if l.strip().startswith("route-server-")]


def conf(*lines, router="nva4", asn=NVA4_AS):
    return vrstest.vtysh_conf(r(router), "router bgp {}".format(asn), *lines)


def rs_nbr(rs):
    js = vrstest.vtysh_json(r(rs), "show route-server json")
    return js["instances"]["default"]["neighbors"].get(NVA4, {})


def rs_path(rs, prefix):
    """The AS path of rs's path for prefix from nva4 (None if none)."""
    js = vrstest.vtysh_json(r(rs), "show bgp ipv4 unicast {} json".format(prefix))
    for p in js.get("paths", []):
        if p.get("peer", {}).get("peerId") == NVA4:
            return p["aspath"]["string"]
    return None


def readme_example():
    lines = vrstest.readme_example("nva-asn4byte")
    assert lines[0] == "router bgp {}".format(NVA4_AS), lines
    return [l.strip() for l in lines[1:] if l.strip()]


def sessions_up():
    tgen = vrstest.tgen_or_skip()
    vrstest.wait_established({r("rs0"): [NVA4], r("rs1"): [NVA4], r("nva4"): list(INST)})
    return tgen


def nothing_passes():
    """Without the template nva4 sends nothing (its bgpd lines name the
    template's route-maps, which do not exist)."""
    for rs in ("rs0", "rs1"):
        vrstest.wait_or_fail(lambda: rs_path(rs, P4) is None,
                             lambda: "{} has {} from nva4: {}".format(rs, P4, rs_path(rs, P4)))


def test_startup_file_refuses_template_without_opt_in():
    sessions_up()
    lines = nva_lines()
    assert not any(l.startswith("route-server-peering spoke") for l in lines), lines
    assert lines == ["route-server-nva asn-4byte"], lines  # VRF doc's, nothing of its template
    log = r("nva4").run("cat {}/nva4/bgpd.log".format(get_topogen().logdir))
    assert "configuration refused: " + without(NVA4_AS) in log, log[-2000:]
    assert "configuration refused: " + RESERVED in log, log[-2000:]
    js = vrstest.vtysh_json(r("nva4"), SHOW)["instances"]
    assert js["default"]["asn4Byte"] is False and js["default"]["templates"] == {}, js
    assert js["doc"]["asn4Byte"] is True and js["doc"]["templates"] == {}, js
    nothing_passes()


def test_vtysh_refuses_without_opt_in():
    sessions_up()
    before = running()
    out = conf("route-server-peering spoke instances 10.0.0.4 10.0.0.5")
    assert vrstest.percent(out) == [without(NVA4_AS)], out
    assert out.strip() == "% " + without(NVA4_AS), out
    assert running() == before


def test_reserved_refused_with_opt_in():
    sessions_up()
    before = running()
    out = conf("route-server-peering doc profile fast", asn="65540 vrf doc")
    assert vrstest.percent(out) == [RESERVED], out
    assert "asn-4byte" not in out, out
    assert running() == before


def _load_commit(*cmds):
    """Commands on nva5 (--tcli) through its vty socket, then commit; a
    refused commit leaves the candidate dirty: discard it."""
    cmds = ("configure",) + cmds + ("commit", "discard", "end")
    return r("nva5").run("/usr/bin/python3 {} /var/run/frr/bgpd.vty {}".format(
        VTYCLIENT, " ".join("'{}'".format(c) for c in cmds)))


def _load_json(instance):
    doc = {"frr-route-server-nva:route-server-nva": {"instance": [dict(vrf="default", **instance)]}}
    path = os.path.join(TMP, "load-{}.json".format(abs(hash(json.dumps(doc, sort_keys=True)))))
    with open(path, "w") as f:
        json.dump(doc, f)
    os.chmod(path, 0o644)
    return _load_commit("configuration load file json {}".format(path))


def _description(out):
    for line in out.splitlines():
        if line.startswith("Error description:"):
            return line.split(":", 1)[1].strip()
    return None


def test_configuration_load_commit_same_rules():
    vrstest.tgen_or_skip()
    before = running("nva5")
    tpl = {"name": "lab", "instance-address": ["10.0.0.7", "10.0.0.8"]}
    out = _load_json({"peering": [tpl]})
    assert "Error type: validation" in out and _description(out) == without(NVA5_AS), out
    assert running("nva5") == before
    # the opt-in and the template in one commit: accepted
    out = _load_json({"asn-4byte": True, "peering": [tpl]})
    assert "Error" not in out, out
    try:
        assert nva_lines("nva5") == ["route-server-nva asn-4byte",
                                     "route-server-peering lab instances 10.0.0.7 10.0.0.8"]
        js = vrstest.vtysh_json(r("nva5"), SHOW)["instances"]["default"]
        assert js["asn4Byte"] is True and js["templates"]["lab"]["applied"] is True, js
        out = _load_json({"asn-4byte": False})
        assert "Error type: validation" in out, out
        assert _description(out) == off_in_use(NVA5_AS, "lab"), out
        out = _load_commit("router bgp {}".format(NVA5_AS), "no route-server-nva asn-4byte")
        assert _description(out) == off_in_use(NVA5_AS, "lab"), out
    finally:
        # either order in one commit
        out = _load_commit("router bgp {}".format(NVA5_AS), "no route-server-nva asn-4byte",
                           "no route-server-peering lab")
        assert "Error" not in out, out
    assert running("nva5") == before


def reload(mode, text):
    """frr-reload.py with the project's vtysh against nva4's bgpd; returns
    (adds, dels) of --test, or the output."""
    nva4 = r("nva4")
    path = os.path.join(TMP, "nva4-reload.conf")
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)
    out = nva4.cmd("/usr/bin/python3 /usr/lib/frr/frr-reload.py {} --stdout --bindir {} "
                   "--confdir {} --rundir /var/run/frr --daemon bgpd {} 2>&1".format(
                       mode, os.path.dirname(vrstest.VTYSH), TMP, path))
    assert "Traceback" not in out, out
    if mode != "--test":
        return out
    assert "Lines To Add" in out, out
    adds, dels = vrstest.reload_test_diff(out)
    return [a for a in adds if a != "no service integrated-vtysh-config"], dels


def saved():
    return "\n".join(line for line in running().splitlines()
                     if not line.startswith(("Building configuration", "Current configuration"))) + "\n"


def accepted_state():
    """The template applies; both instances accept nva4's route."""
    vrstest.wait_or_fail(
        lambda: vrstest.vtysh_json(r("nva4"), SHOW)["instances"]["default"]["templates"]
        .get("spoke", {}).get("applied") is True,
        lambda: "template not applied: {}".format(vrstest.vtysh_json(r("nva4"), SHOW)))
    for rs in ("rs0", "rs1"):
        vrstest.wait_or_fail(lambda: rs_path(rs, P4) == str(NVA4_AS),
                             lambda: "{}'s path for {}: {!r}".format(rs, P4, rs_path(rs, P4)))
        vrstest.wait_or_fail(lambda: rs_nbr(rs).get("managed") is True and rs_nbr(rs).get("accepted", 0) >= 1,
                             lambda: "{}: nva4 {}".format(rs, rs_nbr(rs)))


def test_readme_example_accepts_4byte_local_as():
    sessions_up()
    before = running()
    out = conf(*readme_example())
    assert not vrstest.percent(out), out
    try:
        lines = nva_lines()
        assert lines[:3] == ["route-server-nva asn-4byte",
                             "route-server-peering spoke instances 10.0.0.4 10.0.0.5",
                             "route-server-peering spoke vnet-prefix 10.1.0.0/16"], lines
        accepted_state()
        js = vrstest.vtysh_json(r("nva4"), SHOW)["instances"]["default"]
        assert js["asn4Byte"] is True and js["localAs"] == NVA4_AS, js
        t = js["templates"]["spoke"]
        assert t["bgpConfig"]["missing"] == [], t
        for a in INST:
            assert t["instances"][a]["state"] == "Established", t
        text = r("nva4").vtysh_cmd("show route-server-peering", daemon="bgpd")
        assert "local AS {} (4-byte accepted: asn-4byte)".format(NVA4_AS) in text, text

        # frr-reload.py finds nothing to change in running-config
        mid = running()
        with_opt_in = saved()
        assert reload("--test", with_opt_in) == ([], [])

        # off is refused while the template exists, naming it
        out = conf("no route-server-nva asn-4byte")
        assert vrstest.percent(out) == [off_in_use(NVA4_AS, "spoke")], out
        assert running() == mid

        # reserved stays refused with the opt-in, in another VRF too
        out = conf("route-server-peering doc profile fast", asn="65540 vrf doc")
        assert vrstest.percent(out) == [RESERVED], out
        assert running() == mid
    finally:
        out = conf("no route-server-peering spoke", "no route-server-nva asn-4byte")
        assert not vrstest.percent(out), out
    assert running() == before
    nothing_passes()

    # frr-reload.py puts it back and takes it away again
    reload("--reload", with_opt_in)
    accepted_state()
    assert running() == mid
    # frr-reload.py deletes in one pass, in running-config order: the
    # opt-in (printed first) is refused while the template is there, the
    # template goes; a second reload takes the opt-in away.
    orig = "\n".join(l for l in before.splitlines()
                     if not l.startswith(("Building configuration", "Current configuration"))) + "\n"
    out = reload("--reload", orig)
    assert off_in_use(NVA4_AS, "spoke") in out, out
    assert nva_lines()[0] == "route-server-nva asn-4byte", nva_lines()
    assert not any(l.startswith("route-server-peering spoke") for l in nva_lines()), nva_lines()
    assert reload("--test", orig) == ([], ["router bgp {}".format(NVA4_AS),
                                           "no route-server-nva asn-4byte"])
    reload("--reload", orig)
    vrstest.wait_or_fail(lambda: running() == before,
                         lambda: "frr-reload.py left:\n{}".format(running()))
    assert reload("--test", orig) == ([], [])
    nothing_passes()


def test_no_leaks_at_exit():
    assert vrstest.assert_no_leaks(get_topogen())
