# SPDX-License-Identifier: GPL-2.0-or-later
"""Helpers shared by the project's topotests (paths, module loading, polls)."""

import functools
import json
import os
import time

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


def wait_for(predicate, timeout=30.0, interval=0.1):
    """Poll predicate until it returns a truthy value; returns (value, seconds)."""
    start = time.monotonic()
    while True:
        value = predicate()
        if value:
            return value, time.monotonic() - start
        if time.monotonic() - start > timeout:
            return None, time.monotonic() - start
        time.sleep(interval)
