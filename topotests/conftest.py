# SPDX-License-Identifier: GPL-2.0-or-later
"""pytest glue: run the project's topotests with FRR's own topotest library.

FRR's library (tests/topotests/lib + conftest.py) is not copied here: it comes
from the FRR SDK that scripts/frr-sdk extracts from Debian's source package of
the installed frr. Two shims adapt it to Debian 12 / this kind of kernel:

- Debian builds FRR without pim6d; FRR's environment check errors on the
  missing binary although no test here starts pim6d.
- The kernel may have no /proc/modules (no loadable modules); FRR's MPLS
  module probe raises FileNotFoundError instead of answering "absent".
"""

import importlib.util
import os
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("VRS_BUILD", os.path.join(TOP, "build"))


def _sdk_dir():
    sdk = os.environ.get("VRS_FRR_SDK")
    if sdk:
        return sdk
    return subprocess.check_output(
        [os.path.join(TOP, "scripts", "frr-sdk")], text=True
    ).strip()


FRR_TOPOTESTS = os.path.join(_sdk_dir(), "src", "tests", "topotests")
sys.path.insert(0, FRR_TOPOTESTS)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# The project's vtysh (knows the module commands) comes first on PATH, so
# FRR's router.vtysh_cmd() and every "vtysh" a test runs use it.
os.environ["PATH"] = os.path.join(BUILD, "plugins", "vtysh") + ":" + os.environ["PATH"]

from lib import topogen as _topogen  # noqa: E402
from lib import topotest as _topotest  # noqa: E402


def _module_present_linux(module, load=True):
    if os.path.exists("/proc/modules"):
        with open("/proc/modules", "r") as modules_file:
            if module.replace("-", "_") in modules_file.read():
                return True
    elif os.path.isdir("/sys/module/" + module.replace("-", "_")):
        return True
    cmd = "/sbin/modprobe {}{} >/dev/null 2>&1".format("" if load else "-n ", module)
    return os.path.exists("/sbin/modprobe") and os.system(cmd) == 0


_topotest.module_present_linux = _module_present_linux

_orig_diagnose_env_linux = _topogen.diagnose_env_linux


def _diagnose_env_linux(rundir):
    real_isfile = os.path.isfile

    def isfile(path):
        if os.path.basename(path) == "pim6d":
            return True  # not built by Debian; never started by these tests
        return real_isfile(path)

    os.path.isfile = isfile
    try:
        return _orig_diagnose_env_linux(rundir)
    finally:
        os.path.isfile = real_isfile


_topogen.diagnose_env_linux = _diagnose_env_linux

# Load FRR's conftest.py under another name and re-export its hooks and
# fixtures (pytest finds them by name in this module).
_spec = importlib.util.spec_from_file_location(
    "frr_conftest", os.path.join(FRR_TOPOTESTS, "conftest.py")
)
_frr_conftest = importlib.util.module_from_spec(_spec)
sys.modules["frr_conftest"] = _frr_conftest
_spec.loader.exec_module(_frr_conftest)

for _name in dir(_frr_conftest):
    if _name.startswith("pytest_") or _name in ("tgen", "topo", "module_check_memtest", "setup_session_auto"):
        globals()[_name] = getattr(_frr_conftest, _name)


# A daemon that dies makes FRR-style tests skip (routers_have_failure);
# here a skipped test is a failed run, so a crash can never pass silently.
_skipped = []


def pytest_runtest_logreport(report):
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if _skipped and exitstatus == 0:
        print("\nvrs: {} test(s) skipped (a daemon died or setup failed): {}".format(
            len(_skipped), ", ".join(_skipped)))
        session.exitstatus = 1
