"""Ends this process when the test process that started it goes away, so loopback
servers never outlive a crashed or killed test run."""
import os
import threading
import time


def exit_with_parent(poll_seconds=0.5):
    parent = os.getppid()

    def watch():
        while True:
            if os.getppid() != parent:
                os._exit(0)
            time.sleep(poll_seconds)

    threading.Thread(target=watch, daemon=True).start()
