#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""--help of every script and binary: usage on stdout, exit 0, nothing run.

Each one runs with --help in an empty working directory, with VRS_BUILD
(and every BUILDDIR default) pointing at a directory that does not exist:
it must answer within seconds, create nothing (no build directory, no
"--help" directory, no socket), and print a usage that names it.
"""

import os
import subprocess
import sys
import tempfile
import time

import pytest

CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, ".."))

import vrstest  # noqa: E402

SCRIPTS = ["test", "demo", "build", "deps", "frr-sdk", "fuzz", "sanitize", "bench-failover",
           "bench-propagation", "bench-scale", "lab", "in-dir", "embed-yang", "frr-clippy", "package"]
PROGRAMS = [(os.path.join(vrstest.TOP, "scripts", s), s) for s in SCRIPTS] + [
    (os.path.join(vrstest.TOP, "packaging", "vrs-daemons"), "vrs-daemons"),
    (os.path.join(vrstest.BUILD, "agent", "vnet-agent"), "vnet-agent"),
    (os.path.join(vrstest.BUILD, "agent", "vnet-pub"), "vnet-pub"),
]
AGENT_SOCK = "/run/vrs/vnet-agent.sock"


@pytest.mark.parametrize("path,name", PROGRAMS, ids=[n for _, n in PROGRAMS])
def test_help_prints_usage_and_runs_nothing(path, name):
    assert os.access(path, os.X_OK), "{} is not built or not executable".format(path)
    sock_before = os.path.lexists(AGENT_SOCK)
    with tempfile.TemporaryDirectory(prefix="vrs-help-") as tmp:
        cwd = os.path.join(tmp, "cwd")
        os.mkdir(cwd)
        build = os.path.join(tmp, "no-build")
        env = dict(os.environ, VRS_BUILD=build, VRS_RUNDIR=os.path.join(tmp, "no-rundir"),
                   VRS_CACHE=os.path.join(tmp, "no-cache"))
        t0 = time.monotonic()
        res = subprocess.run([path, "--help"], cwd=cwd, env=env, capture_output=True,
                             text=True, timeout=30)
        secs = time.monotonic() - t0
        assert res.returncode == 0, "{} --help: rc {}\n{}{}".format(name, res.returncode,
                                                                   res.stdout, res.stderr)
        first = res.stdout.splitlines()[0] if res.stdout else ""
        assert first.lower().startswith("usage:") and name in first, \
            "{} --help: no usage line first:\n{}".format(name, res.stdout)
        assert res.stderr == "", "{} --help wrote to stderr: {}".format(name, res.stderr)
        assert os.listdir(cwd) == [], "{} --help created {}".format(name, os.listdir(cwd))
        assert not os.path.exists(build), "{} --help created a build directory".format(name)
        assert secs < 5, "{} --help took {:.1f} s: it ran something".format(name, secs)
    if not sock_before:
        assert not os.path.lexists(AGENT_SOCK), "{} --help started an agent".format(name)
