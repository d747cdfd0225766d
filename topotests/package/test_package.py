#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The Debian package on this machine: install, run, reload, purge.

Builds frr-vrs with scripts/package (lintian included), installs it with
`apt-get install ./frr-vrs_...deb` as the README says, and checks what it
changed: Debian's vtysh diverted to vtysh.distrib (same checksum as
before), the modules in FRR's module directory, the YANG models, the unit,
the configuration files, the man pages.

FRR is then started the way Debian's frr.service does, with
/usr/lib/frr/frrinit.sh (systemd is not PID 1 everywhere this runs), in
a pathspace and network namespace of its own (/etc/frr/<ps>/daemons,
watchfrr --netns), so the system's /etc/frr and running daemons are not
touched: `vrs-daemons --file` loads bgpd_rs from FRR's module directory,
the frr.conf is the package's example (the README's), the *system*
/usr/bin/vtysh answers `show route-server json`, frr-reload.py reloads
through it. vnet-agent runs with the unit's command line and the socket
that bgpd (user frr) reaches. `dpkg --purge` must then leave the machine as
it was: no diversion, Debian's vtysh back byte for byte, no module, unit
or file of the package.

The machine is put back also when a test fails (fixture finalizer), and a
leftover of an aborted earlier run is removed first.
"""

import glob
import grp
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys

import pytest

CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, ".."))

import vrstest  # noqa: E402

PKG = "frr-vrs"
PREFIX = "vrspkg"
PS = "{}{}".format(PREFIX, os.getpid())
CONF = os.path.join("/etc/frr", PS)
RUN = os.path.join("/var/run/frr", PS)
WORK = "/tmp/vrs-pkg-{}".format(os.getpid())
VTYSH = "/usr/bin/vtysh"
DISTRIB = "/usr/bin/vtysh.distrib"
FRRINIT = "/usr/lib/frr/frrinit.sh"
RELOAD = "/usr/lib/frr/frr-reload.py"
MODDIR = "/usr/lib/x86_64-linux-gnu/frr/modules"
UNIT = "/lib/systemd/system/vnet-agent.service"
NVAS = ("10.1.0.10", "10.3.0.10")
# Every file the package ships but vtysh (checked present after install,
# absent after purge).
FILES = [os.path.join(MODDIR, "bgpd_rs.so"), os.path.join(MODDIR, "bgpd_nva.so"),
         "/usr/share/yang/frr-route-server.yang", "/usr/share/yang/frr-route-server-nva.yang",
         "/usr/sbin/vnet-agent", "/usr/sbin/vrs-daemons", UNIT, "/etc/default/vnet-agent",
         "/etc/vrs/vnet-agent.conf", "/usr/share/man/man8/vnet-agent.8.gz",
         "/usr/share/man/man8/vrs-daemons.8.gz", "/usr/share/man/man7/vrs-bgpd-modules.7.gz",
         "/usr/share/doc/frr-vrs/examples/frr.conf"]
STATE = {}


def sh(cmd, check=True, **kw):
    res = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if check:
        assert res.returncode == 0, "{}: rc {}\n{}{}".format(cmd, res.returncode, res.stdout,
                                                            res.stderr)
    return res


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def pkg_installed():
    res = sh(["dpkg-query", "-W", "-f=${db:Status-Status}", PKG], check=False)
    return res.returncode == 0 and res.stdout.strip() not in ("", "not-installed")


def divert_owner():
    return sh(["dpkg-divert", "--listpackage", VTYSH]).stdout.strip()


def vtysh(*cmds, daemon=None):
    cmd = [VTYSH, "-N", PS]
    if daemon:
        cmd += ["-d", daemon]
    for c in cmds:
        cmd += ["-c", c]
    return sh(cmd, check=False)


def rs_json():
    out = vtysh("show route-server json", daemon="bgpd").stdout
    try:
        return json.loads(out)["instances"]["default"]
    except (ValueError, KeyError):
        return None


def pids_in(rundir):
    out = []
    for pidf in glob.glob(os.path.join(rundir, "*.pid")):
        try:
            out.append(int(open(pidf).read().strip()))
        except (OSError, ValueError):
            pass
    return out


def stop_frr(ps):
    """frrinit.sh stop as the service does, then whatever is left, by pid."""
    rundir = os.path.join("/var/run/frr", ps)
    pids = pids_in(rundir)
    if os.path.exists(os.path.join("/etc/frr", ps, "daemons")):
        sh([FRRINIT, "stop", ps], check=False)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    for pid in pids:
        vrstest.wait_for(lambda: not os.path.exists("/proc/{}".format(pid)), timeout=10)


def stop_agent():
    proc = STATE.pop("agent", None)
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def remove_package():
    """Purge frr-vrs and any diversion it left; True when there was one."""
    found = False
    if pkg_installed():
        found = True
        sh(["dpkg", "--purge", PKG], check=False)
    if divert_owner() == PKG:
        found = True
        sh(["dpkg-divert", "--package", PKG, "--rename", "--divert", DISTRIB, "--remove", VTYSH],
           check=False)
    return found


def cleanup_run(ps, work):
    stop_frr(ps)
    # An agent of a run that was killed before its finalizer: by its pid file.
    try:
        pid = int(open(os.path.join(work, "agent.pid")).read())
        if "vnet-agent" in open("/proc/{}/cmdline".format(pid)).read():
            os.kill(pid, signal.SIGKILL)
            vrstest.wait_for(lambda: not os.path.exists("/proc/{}".format(pid)), timeout=10)
    except (OSError, ValueError):
        pass
    sh(["ip", "netns", "del", ps], check=False)
    for d in (os.path.join("/etc/frr", ps), os.path.join("/var/run/frr", ps), work):
        shutil.rmtree(d, ignore_errors=True)


def leftovers():
    """Pathspaces and work directories of earlier runs (aborted, killed)."""
    runs = set()
    for d in glob.glob("/etc/frr/{}*".format(PREFIX)) + glob.glob("/var/run/frr/{}*".format(PREFIX)):
        m = re.match(r"^{}(\d+)$".format(PREFIX), os.path.basename(d))
        if m:
            runs.add(m.group(1))
    for d in glob.glob("/tmp/vrs-pkg-*"):
        m = re.match(r"^vrs-pkg-(\d+)$", os.path.basename(d))
        if m:
            runs.add(m.group(1))
    return sorted(runs)


def machine_state():
    """What the test must give back: diversions, vtysh, the package's paths."""
    return {
        "diversions": sorted(sh(["dpkg-divert", "--list"]).stdout.splitlines()),
        "vtysh": sha256(VTYSH) if os.path.exists(VTYSH) else None,
        "distrib": os.path.exists(DISTRIB),
        "present": sorted(f for f in FILES if os.path.lexists(f)),
        "etc_vrs": os.path.exists("/etc/vrs"),
        "modules": sorted(os.listdir(MODDIR)),
    }


def frr_md5(path):
    """The checksum dpkg recorded for a file of the frr package."""
    with open("/var/lib/dpkg/info/frr.md5sums") as f:
        for line in f:
            md5, name = line.split(None, 1)
            if "/" + name.strip() == path:
                return md5
    return None


@pytest.fixture(scope="module")
def pkg(request):
    if os.geteuid() != 0:
        pytest.fail("needs root (dpkg)")
    for pid in leftovers():
        cleanup_run(PREFIX + pid, "/tmp/vrs-pkg-" + pid)
    if remove_package():
        print("test_package: removed frr-vrs left by an earlier run")
    owner = divert_owner()
    if owner:
        pytest.skip("/usr/bin/vtysh is already diverted by {} (the README's manual recipe?): "
                    "not a machine to test the package on".format(owner))
    before = machine_state()
    assert before["present"] == [], "files of the package exist before install: {}".format(
        before["present"])
    STATE["before"] = before

    def finalize():
        stop_agent()
        cleanup_run(PS, WORK)
        remove_package()

    request.addfinalizer(finalize)
    os.makedirs(WORK)
    res = sh([os.path.join(vrstest.TOP, "scripts", "package"), vrstest.BUILD, WORK], check=False)
    assert res.returncode == 0, "scripts/package failed:\n" + "\n".join(
        [l for l in res.stderr.splitlines() if not l.startswith("N:")][-60:])
    deb = res.stdout.strip().splitlines()[-1]
    assert re.match(r"^{}/frr-vrs_[^/]+_amd64\.deb$".format(re.escape(WORK)), deb), deb
    STATE["deb"] = deb
    # What the README says: apt installs the file (and anything it depends on).
    res = sh(["apt-get", "install", "-y", "-q", "--no-install-recommends", "./" +
              os.path.basename(deb)], check=False, cwd=WORK,
             env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    assert res.returncode == 0, res.stdout + res.stderr
    return deb


# The README's "Install on a router" steps, and what this test does for each.
README_STEPS = {
    "scripts/package": "scripts/package BUILD WORK (fixture)",
    "apt install ./build/frr-vrs_*_amd64.deb": "apt-get install ./frr-vrs_..._amd64.deb (fixture)",
    "vrs-daemons enable rs": "vrs-daemons --file /etc/frr/<ps>/daemons enable rs",
    "systemctl restart frr": "frrinit.sh start <ps>, the unit's ExecStart",
    "vtysh -c 'show route-server json'": "/usr/bin/vtysh -N <ps> -c 'show route-server json'",
}


def test_readme_install_steps_are_the_tested_ones():
    text = open(os.path.join(vrstest.TOP, "README.md")).read()
    m = re.search(r"<!-- example: install-router[^>]*-->\s*```sh\n(.*?)```", text, re.S)
    assert m, "README: no install-router example"
    steps = [l.split("  #")[0].strip() for l in m.group(1).splitlines() if l.strip()]
    assert steps == list(README_STEPS), "README steps changed: {} (test: {})".format(
        steps, list(README_STEPS))
    assert "dpkg --purge frr-vrs" in text and "vrs-daemons disable" in text


def test_package_fields_and_lintian(pkg):
    frr_ver = sh(["dpkg-query", "-W", "-f=${Version}", "frr"]).stdout.strip()
    depends = sh(["dpkg-deb", "-f", pkg, "Depends"]).stdout.strip()
    assert "frr (= {})".format(frr_ver) in [d.strip() for d in depends.split(",")], depends
    assert "+frr" + frr_ver.replace("-", ".") in os.path.basename(pkg)
    report = open(re.sub(r"\.deb$", ".lintian", pkg)).read()
    bad = [l for l in report.splitlines() if re.match(r"^[EW]: ", l)]
    assert bad == [], report
    # Every override has its explanation right above it.
    lines = open("/usr/share/lintian/overrides/frr-vrs").read().splitlines()
    for i, l in enumerate(lines):
        if l.startswith("frr-vrs:"):
            assert i > 0 and lines[i - 1].startswith("#"), "override without a comment: " + l


def test_install_diverts_vtysh_and_places_files(pkg):
    before = STATE["before"]
    assert divert_owner() == PKG
    assert sh(["dpkg-divert", "--truename", VTYSH]).stdout.strip() == DISTRIB
    assert sha256(DISTRIB) == before["vtysh"], "Debian's vtysh changed while diverted"
    assert sha256(VTYSH) != before["vtysh"]
    missing = [f for f in FILES if not os.path.exists(f)]
    assert missing == []
    conffiles = sh(["dpkg-query", "-W", "-f=${Conffiles}", PKG]).stdout
    for f in ("/etc/default/vnet-agent", "/etc/vrs/vnet-agent.conf"):
        assert f in conffiles, conffiles
    unit = open(UNIT).read()
    for want in ("RuntimeDirectory=vrs", "Restart=on-failure", "--allow-user frr",
                 "ExecStart=/usr/sbin/vnet-agent ", "EnvironmentFile=-/etc/default/vnet-agent"):
        assert want in unit, want
    # systemd's own check of the unit (works without systemd as PID 1).
    res = sh(["systemd-analyze", "verify", UNIT], check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    assert sh(["man", "-w", "vnet-agent"]).stdout.strip() == "/usr/share/man/man8/vnet-agent.8.gz"
    assert sh(["man", "-w", "7", "vrs-bgpd-modules"]).returncode == 0


def test_frr_service_starts_with_module_and_system_vtysh(pkg):
    """/etc/frr/<ps> as an operator sets /etc/frr up, started by frrinit.sh."""
    os.makedirs(CONF)
    shutil.chown(CONF, "frr", "frr")
    daemons = os.path.join(CONF, "daemons")
    shutil.copy2("/etc/frr/daemons", daemons)
    sh(["/usr/sbin/vrs-daemons", "--file", daemons, "enable", "rs"])
    shown = sh(["/usr/sbin/vrs-daemons", "--file", daemons, "show"]).stdout
    assert "bgpd=yes" in shown and "bfdd=yes" in shown and "-M bgpd_rs" in shown, shown
    # This run's daemons live in a network namespace named like the pathspace.
    with open(daemons, "a") as f:
        f.write('watchfrr_options="--netns"\n')
    example = open("/usr/share/doc/frr-vrs/examples/frr.conf").read()
    with open(os.path.join(CONF, "frr.conf"), "w") as f:
        f.write(re.sub(r"^hostname .*$", "hostname " + socket.gethostname(), example,
                       flags=re.M))
    with open(os.path.join(CONF, "vtysh.conf"), "w") as f:
        f.write("service integrated-vtysh-config\n")
    for name in ("frr.conf", "vtysh.conf"):
        shutil.chown(os.path.join(CONF, name), "frr", "frr")
    sh(["ip", "netns", "add", PS])
    sh(["ip", "-n", PS, "link", "set", "lo", "up"])
    sh(["ip", "netns", "exec", PS, "sysctl", "-qw", "net.ipv4.ip_forward=1",
        "net.ipv6.conf.all.forwarding=1"])
    res = sh([FRRINIT, "start", PS], check=False)
    assert res.returncode == 0, res.stdout + res.stderr

    def managed():
        st = rs_json()
        if not st or st.get("bgpConfigMissing") != []:
            return None
        ns = st.get("neighbors", {})
        if all(ns.get(a, {}).get("managed") is True for a in NVAS):
            return st
        return None

    st, secs = vrstest.wait_for(managed, timeout=60)
    assert st, "no managed route server after frrinit.sh start ({:.0f} s): {}\n{}".format(
        secs, vtysh("show route-server json", daemon="bgpd").stdout, res.stdout + res.stderr)
    for a in NVAS:
        assert st["neighbors"][a]["role"] == "nva"
        assert st["neighbors"][a]["bgpConfig"] == {"complete": True, "missing": [], "drift": []}
    mods = vtysh("show modules", daemon="bgpd").stdout
    assert os.path.join(MODDIR, "bgpd_rs.so") in mods or "bgpd_rs" in mods, mods
    # bgpd was started by watchfrr with the options of the daemons file.
    bgpd = [p for p in pids_in(os.path.join("/var/run/frr", PS))
            if os.path.exists("/proc/{}/cmdline".format(p)) and
            open("/proc/{}/cmdline".format(p)).read().split("\0")[0].endswith("/bgpd")]
    assert len(bgpd) == 1
    args = open("/proc/{}/cmdline".format(bgpd[0])).read().split("\0")
    assert "bgpd_rs" in args, args


def reload(mode, path):
    res = sh([RELOAD, mode, "--stdout", "--bindir", "/usr/bin", "--pathspace", PS,
              "--confdir", "/etc/frr", "--rundir", WORK, path], check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout


def reload_diff(path):
    return vrstest.reload_test_diff(reload("--test", path))


def test_reload_through_system_vtysh(pkg):
    conf = os.path.join(CONF, "frr.conf")
    assert reload_diff(conf) == ([], [])
    original = open(conf).read()
    changed = original.replace(" route-server\n", " route-server\n route-server profile azure-compat\n", 1)
    assert changed != original
    with open(conf, "w") as f:
        f.write(changed)
    out = reload("--reload", conf)
    assert reload_diff(conf) == ([], []), out
    assert rs_json()["profile"] == "azure-compat"
    with open(conf, "w") as f:
        f.write(original)
    reload("--reload", conf)
    assert rs_json()["profile"] == "fast"


def test_agent_with_the_units_command_line_serves_bgpd(pkg):
    """The unit's ExecStart, its EnvironmentFile, a RuntimeDirectory of its own."""
    unit = open(UNIT).read()
    execline = re.search(r"^ExecStart=(.*)$", unit, re.M).group(1)
    env = sh(["sh", "-c", ". /etc/default/vnet-agent && printf %s \"$VNET_AGENT_OPTIONS\""]).stdout
    rundir = os.path.join(WORK, "run-vrs")
    os.makedirs(rundir)
    os.chmod(rundir, 0o755)  # RuntimeDirectoryMode=0755
    assert "RuntimeDirectoryMode=0755" in unit
    sock = os.path.join(rundir, "vnet-agent.sock")
    argv = shlex.split(execline.replace("$VNET_AGENT_OPTIONS", env)) + ["--socket", sock]
    log = open(os.path.join(WORK, "agent.log"), "w")
    STATE["agent"] = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    with open(os.path.join(WORK, "agent.pid"), "w") as f:
        f.write(str(STATE["agent"].pid))
    ok, _ = vrstest.wait_for(lambda: os.path.exists(sock), timeout=10)
    assert ok, open(os.path.join(WORK, "agent.log")).read()
    st = os.stat(sock)
    assert stat.S_IMODE(st.st_mode) == 0o660
    assert st.st_gid == grp.getgrnam("frr").gr_gid
    out = vtysh("configure terminal", "router bgp 65515",
                "route-server fabric socket {} instance 0".format(sock))
    assert "%" not in out.stdout + out.stderr, out.stdout + out.stderr

    def connected():
        try:
            js = json.loads(vtysh("show route-server fabric json", daemon="bgpd").stdout)
        except ValueError:
            return None
        return js if js.get("connected") else None

    js, _ = vrstest.wait_for(connected, timeout=20)
    assert js, vtysh("show route-server fabric json", daemon="bgpd").stdout
    status = json.loads(sh(["/usr/sbin/vnet-agent", "--status", "--socket", sock]).stdout)
    assert status, status
    vtysh("configure terminal", "router bgp 65515", "no route-server fabric")
    stop_agent()


def test_purge_gives_the_machine_back(pkg):
    stop_frr(PS)
    res = sh(["dpkg", "--purge", PKG], check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    assert not pkg_installed()
    assert divert_owner() == "", "vtysh still diverted after purge"
    assert os.path.exists(VTYSH), "no /usr/bin/vtysh after purge: Debian's is not back"
    after = machine_state()
    before = STATE["before"]
    assert not os.path.exists(DISTRIB)
    assert after["vtysh"] == before["vtysh"], "Debian's vtysh is not back"
    md5 = frr_md5(VTYSH)
    assert md5 and hashlib.md5(open(VTYSH, "rb").read()).hexdigest() == md5
    assert after == before
    for f in FILES:
        assert not os.path.lexists(f), f
    assert not glob.glob("/etc/systemd/system/*.wants/vnet-agent.service")
