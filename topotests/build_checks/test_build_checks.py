#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Build-level guarantees, checked against the real installed FRR:

- meson setup refuses FRR headers of another version than the installed bgpd;
- a module built for other headers refuses to initialise in Debian's bgpd,
  with a clear message and a non-zero exit (bgpd does not start);
- the modules' YANG models pass yanglint and are in canonical form.
"""

import glob
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, ".."))

import vrstest  # noqa: E402

BGPD = "/usr/lib/frr/bgpd"


def _sdk():
    return subprocess.check_output([os.path.join(vrstest.TOP, "scripts", "frr-sdk")], text=True).strip()


@pytest.fixture(scope="module")
def workdir():
    d = tempfile.mkdtemp(prefix="vrs-build-checks-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_meson_refuses_mismatched_headers(workdir):
    sdk = _sdk()
    fake = os.path.join(workdir, "fake-sdk")
    os.makedirs(os.path.join(fake, "build", "lib"))
    os.symlink(os.path.join(sdk, "src"), os.path.join(fake, "src"))
    with open(os.path.join(sdk, "build", "lib", "version.h")) as f:
        text = f.read()
    real = subprocess.check_output([BGPD, "--version"], text=True).split()[2]
    with open(os.path.join(fake, "build", "lib", "version.h"), "w") as f:
        f.write(text.replace('"{}"'.format(real), '"7.5.1"'))
    bdir = os.path.join(workdir, "build-mismatch")
    res = subprocess.run(["meson", "setup", bdir, vrstest.TOP, "-Dfrr_sdk=" + fake],
                         capture_output=True, text=True)
    out = res.stdout + res.stderr
    assert res.returncode != 0, out
    assert 'FRR headers in {} are version "7.5.1" but the installed bgpd'.format(fake) in out, out


def test_module_for_other_frr_refuses_to_load(workdir):
    bdir = os.path.join(workdir, "build-fake")
    subprocess.run(["meson", "setup", bdir, vrstest.TOP, "-Dfrr_sdk=" + _sdk(),
                    "-Dfake_frr_version=7.5.1"], check=True, capture_output=True)
    subprocess.run(["ninja", "-C", bdir, "plugins/bgpd/bgpd_rs.so"], check=True,
                   capture_output=True)
    mod = os.path.join(bdir, "plugins", "bgpd", "bgpd_rs.so")
    run = os.path.join(workdir, "run")
    os.makedirs(run)
    # A private network namespace: nothing can be bound on the host.
    res = subprocess.run(
        ["unshare", "-n", BGPD, "-S", "-Z", "-u", "root", "-g", "root",
         "-f", "/dev/null", "-i", os.path.join(run, "bgpd.pid"),
         "--vty_socket", run, "-M", mod],
        capture_output=True, text=True, timeout=30)
    out = res.stdout + res.stderr
    # A clean refusal: bgpd exits 1, it does not crash (negative = signal).
    assert res.returncode == 1, "bgpd exit {} with a module built for FRR 7.5.1:\n{}".format(
        res.returncode, out)
    assert "bgpd_rs: refusing to load: built against FRR 7.5.1 headers, but this bgpd is FRR" in out, out


def test_module_for_this_frr_loads(workdir):
    run = os.path.join(workdir, "run-ok")
    os.makedirs(run)
    # -C: check the configuration and exit; loads the module fully.
    res = subprocess.run(
        ["unshare", "-n", BGPD, "-S", "-Z", "-C", "-u", "root", "-g", "root",
         "-f", "/dev/null", "-i", os.path.join(run, "bgpd.pid"),
         "--vty_socket", run, "-M", vrstest.MOD_RS, "-M", vrstest.MOD_NVA],
        capture_output=True, text=True, timeout=30)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    assert "refusing" not in out, out


@pytest.mark.parametrize("path", sorted(glob.glob(os.path.join(vrstest.YANG_DIR, "*.yang"))),
                         ids=os.path.basename)
def test_yang_model_lints(path):
    res = subprocess.run(["yanglint", path], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    canon = subprocess.run(["yanglint", "-f", "yang", path], capture_output=True,
                           text=True, check=True).stdout
    with open(path) as f:
        assert f.read() == canon, "{} is not in yanglint's canonical form".format(path)
