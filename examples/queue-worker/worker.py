"""A background worker: takes JSON tasks from a Redis list with CONCURRENCY threads, forever."""
import json
import logging
import os
import threading

import redis

QUEUE = os.environ.get("QUEUE_NAME", "tasks")
CONCURRENCY = int(os.environ.get("CONCURRENCY", "1"))


def handle(task: dict) -> None:
    logging.info("processed task %s", task.get("id"))


def work(n: int) -> None:
    r = redis.Redis.from_url(os.environ["REDIS_URL"])
    while True:
        _, raw = r.brpop(QUEUE)
        try:
            handle(json.loads(raw))
        except Exception:  # one bad task must not stop the worker
            logging.exception("worker %d: task failed", n)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(threadName)s %(message)s")
    threads = [threading.Thread(target=work, args=(i,), name=f"w{i}") for i in range(CONCURRENCY)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
