"""Runs each time its webhook URL is called (for example by a CI system after a release): warms a cache."""
import os
import sys
import time
import urllib.request

PAGES = [p for p in os.environ.get("WARM_PAGES", "/").split(",") if p]


def main() -> int:
    base = os.environ["SITE_URL"].rstrip("/")
    failed = 0
    for page in PAGES:
        started = time.monotonic()
        try:
            with urllib.request.urlopen(base + page, timeout=30) as response:
                print(f"{page}: {response.status} in {time.monotonic() - started:.2f}s")
        except OSError as e:
            failed += 1
            print(f"{page}: {e}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
