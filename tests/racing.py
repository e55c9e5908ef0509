"""Run the same work in several threads at once, each with its own app context and
database session, released together; answer the exceptions they raised."""

import threading

from registry.extensions import db


def race(app, work, arguments) -> list[Exception]:
    errors: list[Exception] = []
    start = threading.Barrier(len(arguments))

    def run(argument):
        with app.app_context():
            try:
                start.wait()
                work(argument)
            except Exception as exc:  # noqa: BLE001 (returned to the test to assert on)
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(a,)) for a in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
