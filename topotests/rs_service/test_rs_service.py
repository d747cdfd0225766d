#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The README's "Under Debian's frr service" recipe, step by step.

Debian's frr service starts the daemons without a configuration, applies
the integrated frr.conf with `vtysh -b`, and `systemctl reload frr` runs
`frr-reload.py`. This test does the same with Debian's zebra, bfdd and
bgpd (+ bgpd_rs) in a network namespace of its own (a pathspace, so
nothing of the system's /etc/frr or /run/frr is touched), the project's
vtysh, and the very frr.conf printed in the README:

- after `vtysh -b`, every role neighbor is managed with no drift;
- `frr-reload.py --test` lists nothing to change; `--reload` twice keeps
  timers, BFD, multihop and route-maps;
- a profile change made in the file converges in one reload, and so
  does the 4-byte ASN opt-in (added and taken away);
- `no route-server neighbor A` and `no route-server` give back a
  running-config byte for byte without the module's lines.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys

import pytest

CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, ".."))

import vrstest  # noqa: E402

sys.path.insert(0, os.path.join(vrstest.TOP, "scripts"))
import vrslab  # noqa: E402

FRR_DIR = "/usr/lib/frr"
RELOAD = os.path.join(FRR_DIR, "frr-reload.py")
PS = "vrssvc{}".format(os.getpid())
RUN = os.path.join("/var/run/frr", PS)
WORK = "/tmp/vrs-svc-{}".format(os.getpid())
# vtysh -N (and frr-reload.py --pathspace) read frr.conf and vtysh.conf
# in /etc/frr/<pathspace>: created here, removed at teardown.
CONF = os.path.join("/etc/frr", PS)
FRR_CONF = os.path.join(CONF, "frr.conf")
NVAS = ("10.1.0.10", "10.3.0.10")
PIDS = {}


def readme_frr_conf():
    """The frr.conf example of the README (marked rs-frr.conf)."""
    with open(os.path.join(vrstest.TOP, "README.md")) as f:
        text = f.read()
    m = re.search(r"<!-- example: rs-frr.conf[^>]*-->\s*```\n(.*?)```", text, re.S)
    assert m, "README: no rs-frr.conf example"
    # vtysh shows the system's hostname in running-config: a router's
    # frr.conf names the router as its system does.
    return re.sub(r"^hostname .*$", "hostname " + socket.gethostname(), m.group(1),
                  flags=re.M)


def sh(cmd, check=True):
    res = subprocess.run(cmd, capture_output=True, text=True)
    if check:
        assert res.returncode == 0, "{}: rc {}\n{}{}".format(cmd, res.returncode, res.stdout,
                                                            res.stderr)
    return res


def vtysh(*cmds, daemon=None):
    cmd = [vrstest.VTYSH, "-N", PS]
    if daemon:
        cmd += ["-d", daemon]
    for c in cmds:
        cmd += ["-c", c]
    return sh(cmd, check=False)


def conf(*lines):
    out = vtysh("configure terminal", "router bgp 65515", *lines)
    assert "%" not in out.stdout + out.stderr, out.stdout + out.stderr
    return out


def running():
    return vtysh("show running-config", daemon="bgpd").stdout


def same(got, want, what):
    import difflib

    assert got == want, "{}:\n{}".format(what, "".join(difflib.unified_diff(
        want.splitlines(True), got.splitlines(True), "expected", "running")))


def rs_json():
    return json.loads(vtysh("show route-server json", daemon="bgpd").stdout)["instances"]["default"]


def neighbor_state():
    """What bgpd runs for each NVA: timers, BFD, TTL, route-maps."""
    out = {}
    for a in NVAS:
        js = json.loads(vtysh("show bgp neighbors {} json".format(a), daemon="bgpd").stdout)[a]
        af = js.get("addressFamilyInfo", {}).get("ipv4Unicast", {})
        out[a] = (js.get("bgpTimerConfiguredHoldTimeMsecs"),
                  js.get("bgpTimerConfiguredKeepAliveIntervalMsecs"),
                  "peerBfdInfo" in js, js.get("externalBgpNbrMaxHopsAway"),
                  af.get("routeMapForIncomingAdvertisements"),
                  af.get("routeMapForOutgoingAdvertisements"))
    return out


def reload(mode, path):
    """frr-reload.py as `systemctl reload frr` runs it; returns (adds, dels).

    With a pathspace, frr-reload.py reads /etc/frr/<ps>/vtysh.conf and,
    after --reload, saves running-config into /etc/frr/<ps>/frr.conf (its
    "make these changes persistent" step compares against /etc/frr/frr.conf)."""
    res = sh([RELOAD, mode, "--stdout", "--bindir", os.path.dirname(vrstest.VTYSH),
              "--pathspace", PS, "--confdir", "/etc/frr", "--rundir", WORK, path], check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    if mode != "--test":
        return res.stdout
    return vrstest.reload_test_diff(res.stdout)


def setup_module(mod):
    if os.geteuid() != 0:
        pytest.fail("needs root")
    try:
        start()
    except BaseException:
        # pytest does not tear down a module whose setup failed.
        teardown_module(mod)
        raise


def start():
    os.makedirs(WORK)
    shutil.chown(WORK, "frr", "frr")
    os.makedirs(RUN, exist_ok=True)
    shutil.chown(RUN, "frr", "frr")
    os.makedirs(CONF)  # a fresh pathspace: fails if it exists
    shutil.chown(CONF, "frr", "frr")
    with open(FRR_CONF, "w") as f:
        f.write(readme_frr_conf())
    with open(os.path.join(CONF, "vtysh.conf"), "w") as f:
        f.write("service integrated-vtysh-config\n")
    sh(["ip", "netns", "add", PS])
    sh(["ip", "-n", PS, "link", "set", "lo", "up"])
    # A router forwards (zebra writes "no ip forwarding" otherwise).
    sh(["ip", "netns", "exec", PS, "sysctl", "-qw", "net.ipv4.ip_forward=1",
        "net.ipv6.conf.all.forwarding=1"])
    for d in ("zebra", "bfdd", "bgpd"):
        pidf = os.path.join(WORK, d + ".pid")
        senv = ["{}={}".format(*kv) for kv in vrslab.sanitizer_env(d).items()] if d == "bgpd" else []
        cmd = ["ip", "netns", "exec", PS] + (["env"] + senv if senv else []) + [
            os.path.join(FRR_DIR, d), "-d", "-N", PS, "-f", "/dev/null", "-i", pidf,
            "--log", "file:" + os.path.join(WORK, d + ".log")]
        if d == "bgpd":
            cmd += ["-M", vrstest.MOD_RS]
        sh(cmd)
        ok, _ = vrstest.wait_for(lambda: os.path.exists(pidf) and
                                 vtysh("show version", daemon=d).returncode == 0, timeout=20)
        assert ok, "{} did not start: {}".format(d, open(os.path.join(WORK, d + ".log")).read()
                                                  if os.path.exists(os.path.join(WORK, d + ".log"))
                                                  else "")
        PIDS[d] = int(open(pidf).read().strip())
    # What the service does once the daemons run.
    res = sh([vrstest.VTYSH, "-N", PS, "-b"], check=False)
    assert res.returncode == 0, res.stdout + res.stderr


def teardown_module(mod):
    for d, pid in PIDS.items():
        try:
            os.kill(pid, 15)
        except OSError:
            pass
    for pid in PIDS.values():
        vrstest.wait_for(lambda: not os.path.exists("/proc/{}".format(pid)), timeout=10)
    sh(["ip", "netns", "del", PS], check=False)
    shutil.rmtree(WORK, ignore_errors=True)
    shutil.rmtree(RUN, ignore_errors=True)
    shutil.rmtree(CONF, ignore_errors=True)


def test_boot_config_applied_and_managed():
    st = rs_json()
    assert st["bgpConfigMissing"] == [], st
    for a in NVAS:
        n = st["neighbors"][a]
        assert n["role"] == "nva" and n["managed"] is True, n
        assert n["bgpConfig"] == {"complete": True, "missing": [], "drift": []}, n
    assert neighbor_state() == {a: (3000, 1000, True, 255, "VRS-RS-IN", "VRS-RS-OUT-NVA")
                                for a in NVAS}


def test_reload_test_lists_nothing():
    adds, dels = reload("--test", FRR_CONF)
    assert (adds, dels) == ([], []), "frr-reload.py --test wants changes:\n+{}\n-{}".format(
        adds, dels)


def test_reload_twice_keeps_everything():
    before, state = running(), neighbor_state()
    for i in range(2):
        reload("--reload", FRR_CONF)
        assert running() == before, "reload {} changed running-config".format(i + 1)
        assert neighbor_state() == state, "reload {} changed bgpd's neighbors".format(i + 1)
    assert reload("--test", FRR_CONF) == ([], [])


def test_profile_change_in_file_converges_in_one_reload():
    """Edit frr.conf as an operator does, reload once: converged."""
    original = open(FRR_CONF).read()
    compat = original.replace(" route-server\n", " route-server\n route-server profile azure-compat\n", 1)
    assert compat != original
    state = neighbor_state()
    try:
        with open(FRR_CONF, "w") as f:
            f.write(compat)
        out = reload("--reload", FRR_CONF)
        assert reload("--test", FRR_CONF) == ([], []), "not converged after one reload:\n" + out
        st = rs_json()
        assert st["profile"] == "azure-compat", st
        # Your timers and BFD stay yours; the drift is shown.
        assert neighbor_state() == state
        for a in NVAS:
            assert sorted(st["neighbors"][a]["bgpConfig"]["drift"]) == sorted(
                ["no neighbor {} bfd".format(a), "neighbor {} timers 60 180".format(a)]), st
    finally:
        with open(FRR_CONF, "w") as f:
            f.write(original)
        out = reload("--reload", FRR_CONF)
    assert reload("--test", FRR_CONF) == ([], []), out
    assert rs_json()["profile"] == "fast", out
    assert neighbor_state() == state


def test_asn_4byte_in_file_round_trips():
    """The 4-byte opt-in written into the file (where an operator puts
    it, after `route-server`) is applied by one reload, printed where it
    was written, and a reload without it takes it away again."""
    original = open(FRR_CONF).read()
    opt_in = original.replace(" route-server\n", " route-server\n route-server asn-4byte\n", 1)
    assert opt_in != original
    try:
        with open(FRR_CONF, "w") as f:
            f.write(opt_in)
        out = reload("--reload", FRR_CONF)
        assert reload("--test", FRR_CONF) == ([], []), "not converged after one reload:\n" + out
        assert rs_json()["asn4Byte"] is True
        assert " route-server\n route-server asn-4byte\n" in running(), running()
    finally:
        with open(FRR_CONF, "w") as f:
            f.write(original)
        out = reload("--reload", FRR_CONF)
    assert reload("--test", FRR_CONF) == ([], []), out
    assert rs_json()["asn4Byte"] is False, out
    assert "asn-4byte" not in running()


def test_ipv6_in_file_round_trips():
    """Dual stack written into the file (the opt-in and an IPv6 address
    space) is applied by one reload; a reload without them takes both
    away in one go. frr-reload.py retries a refused `no X` as `no <X
    minus its last word>`: turning the opt-in off before the space is
    gone must never become `no route-server` (the whole route server)."""
    original = open(FRR_CONF).read()
    dual = original.replace(" route-server\n", " route-server\n route-server ipv6\n"
                            " route-server address-space fd00:2::/48\n", 1)
    assert dual != original
    state = neighbor_state()
    try:
        with open(FRR_CONF, "w") as f:
            f.write(dual)
        out = reload("--reload", FRR_CONF)
        assert reload("--test", FRR_CONF) == ([], []), "not converged after one reload:\n" + out
        st = rs_json()
        assert st["ipv6"] is True and "fd00:2::/48" in running(), st
    finally:
        with open(FRR_CONF, "w") as f:
            f.write(original)
        out = reload("--reload", FRR_CONF)
    assert reload("--test", FRR_CONF) == ([], []), "not converged after one reload:\n" + out
    assert not re.search(r"^\s*no route-server\s*$", out, re.M), out
    assert rs_json()["ipv6"] is False, out
    assert "fd00:2::/48" not in running()
    assert neighbor_state() == state


def test_no_forms_give_back_the_config():
    full = running()
    conf("no route-server neighbor {}".format(NVAS[0]))
    without = full.replace(" route-server neighbor {} role nva\n".format(NVAS[0]), "")
    assert without != full
    same(running(), without, "no route-server neighbor")
    conf("route-server neighbor {} role nva".format(NVAS[0]))
    same(running(), full, "role given back")
    conf("no route-server")
    bare = "".join(l + "\n" for l in full.splitlines() if not l.startswith(" route-server"))
    same(running(), bare, "no route-server")
    # The file again: one reload back to the full state.
    reload("--reload", FRR_CONF)
    same(running(), full, "reload after no route-server")
    assert neighbor_state() == {a: (3000, 1000, True, 255, "VRS-RS-IN", "VRS-RS-OUT-NVA")
                                for a in NVAS}
