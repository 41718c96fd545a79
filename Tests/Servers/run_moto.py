"""Starts moto's S3 server on a free loopback port and prints `LISTENING <port>`."""
import socket
import sys
import time

from lifeline import exit_with_parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    exit_with_parent()
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as error:
        sys.stderr.write(f"moto is not installed ({error}); install it with: python3 -m pip install 'moto[server]'\n")
        sys.exit(3)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.05)
    print(f"LISTENING {port}", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
