#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Send commands to a daemon's own vty socket, as vtysh does, and print the
answers. For commands Debian's vtysh does not know, e.g. the transactional
CLI's "configuration load file json PATH" and "commit".

Usage: vtyclient.py SOCKET COMMAND...  (starts with "enable")
Each answer is printed after a line "### COMMAND"; exit status 0."""

import socket
import sys


def run(path, cmds, timeout=20.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    out = []
    for cmd in ["enable"] + cmds:
        s.sendall(cmd.encode() + b"\0")
        buf = b""
        while not (len(buf) >= 4 and buf[-4:-1] == b"\0\0\0"):
            chunk = s.recv(65536)
            if not chunk:
                raise RuntimeError("vty closed after {!r}".format(cmd))
            buf += chunk
        out.append("### {}\n{}".format(cmd, buf[:-4].decode(errors="replace")))
    s.close()
    return "\n".join(out)


if __name__ == "__main__":
    print(run(sys.argv[1], sys.argv[2:]))
