"""Work done after the acknowledgement, one task at a time, in a thread of its own.

Bolt's lazy listeners run each in a thread of a pool and go through the app's middleware
again, so a burst of writes (two thousand `/trust subscribe` at once) competes with the
acknowledgements of the next requests for the interpreter, and Slack sees those late. Here
the acknowledgement is made at once (bot.slack.features.lookup.Answers) and the work queued:
one thread per process does it, so the threads that answer requests keep the interpreter
nearly to themselves. The queue is bounded (a full one says so at once, in the reply), and
on shutdown what is queued is done first, for a few seconds at most.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)
QUEUE_MAX = 10_000  # tasks waiting at most
DRAIN = 8.0  # seconds given to the queue on shutdown

Task = Callable[[], None]


class Later:
    """A bounded queue of tasks and the one thread that does them, in order."""

    def __init__(self, size: int = QUEUE_MAX) -> None:
        self._queue: queue.Queue[Task] = queue.Queue(size)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def put(self, task: Task) -> bool:
        """Queue a task; False (nothing queued) when the queue is full."""
        self._start()
        try:
            self._queue.put_nowait(task)
        except queue.Full:
            return False
        return True

    def drain(self, timeout: float = DRAIN) -> bool:
        """Wait for what is queued to be done, `timeout` seconds at most; True when it was."""
        end = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < end:
            time.sleep(0.02)
        return not self._queue.unfinished_tasks

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="later", daemon=True)
                self._thread.start()
                atexit.register(self.drain)

    def _run(self) -> None:
        while True:
            task = self._queue.get()
            try:
                task()
            except Exception:
                log.exception("a task done after its acknowledgement failed")
            finally:
                self._queue.task_done()
