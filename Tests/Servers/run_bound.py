"""Runs a server binary on a free loopback port: `{port}` in the arguments becomes the
port. Prints `LISTENING <port>` once `ready_path` answers 200, then waits; the child
is killed when this wrapper is terminated or its parent (the test process) goes away.

    run_bound.py READY_PATH BINARY ARG...   (ARG may contain {port})
"""
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from lifeline import exit_with_parent

child = None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(*_):
    # Killed outright: these are throwaway test servers, and a graceful wait here would
    # race the test process's own SIGKILL of this wrapper (the child then outlives both).
    if child:
        try:
            child.kill()
        except OSError:
            pass
    os._exit(0)


def die_with_parent():
    """In the child before exec: the kernel kills it when this wrapper goes away, however."""
    import ctypes
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def ready(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def main():
    global child
    ready_path, binary, arguments = sys.argv[1], sys.argv[2], sys.argv[3:]
    if not os.path.exists(binary):
        sys.stderr.write(f"{binary} is not installed (scripts/install-deps installs it)\n")
        sys.exit(3)
    signal.signal(signal.SIGTERM, stop)
    exit_with_parent(before_exit=stop)
    # Another process may take the port between our probe and the child's bind: try again.
    for _ in range(5):
        port = free_port()
        child = subprocess.Popen([binary] + [a.replace("{port}", str(port)) for a in arguments],
                                 stdin=subprocess.DEVNULL, stdout=sys.stderr, stderr=sys.stderr,
                                 preexec_fn=die_with_parent)
        deadline = time.time() + 60
        while time.time() < deadline and child.poll() is None and not ready(port, ready_path):
            time.sleep(0.1)
        if child.poll() is None and ready(port, ready_path):
            print(f"LISTENING {port}", flush=True)
            child.wait()
            sys.exit(child.returncode)
        if child.poll() is None:
            child.kill()
    sys.stderr.write(f"{binary} did not become ready\n")
    sys.exit(1)


if __name__ == "__main__":
    main()
