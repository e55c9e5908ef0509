"""The tests' way to let the background sealing happen: run the pending seal jobs now, as
the runner thread of a serving process would (services/sealing.py). In a thread of its
own, as the runner does: pyHanko cannot run inside an event loop (Playwright's)."""

from __future__ import annotations

import threading

from flask import Flask

from registry.clock import system_now
from registry.extensions import db
from registry.services import sealing


def seal_pending(app: Flask) -> int:
    """Run every seal job that may run now; answers how many sealed PDFs were stored."""
    # End the test's own transaction: on SQLite its snapshot would not see the runner's
    # work, and a write it held would keep the runner waiting.
    db.session.commit()
    stored: list[int] = []
    failed: list[BaseException] = []

    def run() -> None:
        try:
            with app.app_context():
                try:
                    stored.append(
                        sealing.run_pending(
                            db.session,
                            clock=app.extensions.get("clock", system_now),
                            config=app.config,
                            static_folder=app.static_folder,
                        )
                    )
                finally:
                    db.session.remove()
        except BaseException as exc:  # raised again in the test's own thread
            failed.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failed:
        raise failed[0]
    db.session.commit()  # and read what the runner stored, afresh
    return stored[0]
