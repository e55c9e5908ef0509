"""The worker gunicorn serves the registry with (gunicorn.conf.py): gunicorn's own threaded
worker, with one change.

When a connection is not to be kept alive, gunicorn closes it "gracefully": it stops
writing, then reads whatever the client still sends until the client closes, for up to
two seconds, so that unread request bytes do not make the kernel reset the connection
and cut off the answer. gunicorn 27 does this waiting on the worker's main loop, which is
also what accepts new connections and hands them to threads. A client that simply keeps
its end open after a `Connection: close` answer froze the worker for two seconds; ten
such clients kept /healthz waiting eight seconds on two workers (tests/pdf/test_serving.py).

Here the same linger happens in the main loop's poller instead: the socket is
half-closed, read from whenever it has bytes, and closed when the client closes, after
64 KB, or after two seconds, without the loop ever waiting on it. A lingering socket
still counts as one of the worker's connections until it is closed, as in gunicorn's own
close: the worker takes no more than worker_connections, and a worker stopping gracefully
waits for it (exiting first reset the connection and cut off the last answer)."""

from __future__ import annotations

import contextlib
import selectors
import socket
import time
from collections import deque
from dataclasses import dataclass
from functools import partial
from typing import Any

from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker as GunicornThreadWorker

LINGER_SECONDS = 2.0  # as gunicorn's own graceful close
LINGER_BYTES = 65536


@dataclass
class _Lingering:
    sock: socket.socket
    until: float
    drained: int = 0
    ended: bool = False


class ThreadWorker(GunicornThreadWorker):  # type: ignore[misc]  # gunicorn has no types
    def init_process(self) -> None:
        self.lingering: deque[_Lingering] = deque()  # oldest (soonest due) first
        super().init_process()

    def finish_request(self, conn: Any, fs: Any) -> None:
        conn.close = partial(self._close, conn)
        super().finish_request(conn, fs)

    def _close(self, conn: Any, graceful: bool = False) -> None:
        sock = conn.sock
        if not graceful:
            util.close(sock)
            return
        try:
            sock.shutdown(socket.SHUT_WR)
            sock.setblocking(False)
            lingering = _Lingering(sock, time.monotonic() + LINGER_SECONDS)
            self.poller.register(sock, selectors.EVENT_READ, partial(self._drain, lingering))
        except (OSError, ValueError, KeyError):
            util.close(sock)
            return
        self.lingering.append(lingering)
        self.nr_conns += 1  # counted until closed: accept pauses, a graceful stop waits

    def _drain(self, lingering: _Lingering, _sock: socket.socket) -> None:
        try:
            data = lingering.sock.recv(4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        lingering.drained += len(data)
        if not data or lingering.drained >= LINGER_BYTES:
            self._end(lingering)

    def _end(self, lingering: _Lingering) -> None:
        if lingering.ended:
            return
        lingering.ended = True
        self.nr_conns -= 1
        with contextlib.suppress(OSError, ValueError, KeyError):  # ended already
            self.poller.unregister(lingering.sock)
        util.close(lingering.sock)

    def murder_pending(self) -> None:
        """gunicorn's sweep of connections waiting too long (once a second at least), and
        then of lingering closes past their time."""
        super().murder_pending()
        now = time.monotonic()
        while self.lingering and self.lingering[0].until <= now:
            self._end(self.lingering.popleft())
