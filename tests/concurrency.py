"""Concurrency tests (PostgreSQL): real threads, each with its own database connection."""

import threading

from django.db import connection


def race(*attempts):
    """Run the callables at once in threads; what each returned or raised (the test says which
    errors it expects)."""
    barrier = threading.Barrier(len(attempts))
    results = [None] * len(attempts)

    def run(index, attempt):
        try:
            barrier.wait(timeout=30)
            results[index] = attempt()
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "an attempt never finished"
    return results
