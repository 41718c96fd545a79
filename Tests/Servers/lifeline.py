"""Ends this process when the test process that started it goes away, so loopback
servers never outlive a crashed or killed test run."""
import os
import threading
import time


def exit_with_parent(poll_seconds=0.5, before_exit=None):
    """`before_exit` runs first (e.g. to kill a child); it may exit itself."""
    parent = os.getppid()

    def watch():
        while True:
            if os.getppid() != parent:
                if before_exit:
                    before_exit()
                os._exit(0)
            time.sleep(poll_seconds)

    threading.Thread(target=watch, daemon=True).start()
