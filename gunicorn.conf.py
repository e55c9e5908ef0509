"""How gunicorn serves the registry: read by gunicorn itself when started from the checkout
(`gunicorn wsgi:app`); anything given on the command line overrides it.

Issue 16's retest: three connections that sent `POST /verify` headers with
`Content-Length: 1000000` and then nothing held all three sync workers, /healthz waited
33 s, and gunicorn killed the workers and answered 500s. So:

- Threads: each worker serves several requests at once (gthread), so a client that is
  slow to send, or a PDF check the worker waits for, holds one thread, not the worker.
  The app is safe under threads: Flask-SQLAlchemy's session is scoped to the app context
  (one per request), the engine's pool is thread-safe, SQLite's pragmas are set per
  connection, and rate limits are counted in a shared store.
- A body that stops arriving: each read of a request body may wait at most
  BODY_IDLE_SECONDS for the next bytes; then the request ends with a 400 (Werkzeug's
  "client disconnected") and the thread is free. A client that trickles a byte at a time
  can still hold a thread for longer: behind a reverse proxy that buffers whole requests
  before passing them on (nginx does by default), no slow client reaches gunicorn at all.
- Bounds on the request line and headers, a worker timeout, and a short keep-alive.
"""

import gc
import os
import resource

# Worker processes (GUNICORN_WORKERS or --workers) and threads in each.
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
# gunicorn's gthread, closing connections without stalling its main loop (registry/serving.py).
worker_class = "registry.serving.ThreadWorker"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))

# Open files: the soft limit raised to the hard one where it is lower (systemd starts
# services with 1,024 soft and 524,288 hard), and each worker's connections kept well
# within it, leaving room for its database connections, PDFs and logs: a worker that runs
# out of file descriptors dies on its next accept (1,200 idle clients did it at 1,024).
_soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
_wanted = 65536 if _hard == resource.RLIM_INFINITY else min(_hard, 65536)
if _soft != resource.RLIM_INFINITY and _soft < _wanted:
    resource.setrlimit(resource.RLIMIT_NOFILE, (_wanted, _hard))
    _soft = _wanted
worker_connections = 1000 if _soft == resource.RLIM_INFINITY else max(64, min(1000, _soft // 2))

# A worker whose main loop is silent this long is killed and replaced (with threads, a
# long request does not silence it: the main loop keeps its heartbeat).
timeout = 30
# On restart or shutdown, requests under way have this long to finish.
graceful_timeout = 20
# An idle kept-alive connection is closed after this many seconds.
keepalive = 5

# Requests: the line (method, path, query) and the headers (count and size of each).
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190

# The longest a read of a request body waits for the next bytes.
BODY_IDLE_SECONDS = 10


def pre_request(worker, req):
    """Before the app reads the body: bound each read's wait on this connection's socket.
    A timed-out read is, to Werkzeug, a client that went away (400, no traceback)."""
    sock = getattr(req.unreader, "sock", None)
    if sock is not None:
        sock.settimeout(BODY_IDLE_SECONDS)


def post_worker_init(worker):
    """Each worker starts its sealing runner (services/sealing.py) and its notification
    sender (services/outbox.py) at once, so sealed PDFs and mail left from before a
    restart go out without waiting for a request to arrive."""
    from registry.services.outbox import start_sender
    from registry.services.sealing import start_runner

    start_runner(worker.wsgi)
    start_sender(worker.wsgi)
    # What the worker has loaded (the app, its modules, templates, SQLAlchemy's mappers)
    # lives as long as it does: kept out of the garbage collector's full passes, which
    # otherwise walked all of it whenever a page made many objects (an agreement of 100
    # parties: median 172 ms against 87 with this, at a million agreements).
    gc.collect()
    gc.freeze()
