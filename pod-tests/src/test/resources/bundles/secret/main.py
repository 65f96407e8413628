# Prints its secrets in the ways agents leak them: whole, inside other text, on stderr, and split across
# two writes with a pause between (so the halves reach the runner in separate reads).
import os
import sys
import time

token = os.environ["API_TOKEN"]
password = os.environ["DB_PASSWORD"]
print("token length %d" % len(token), flush=True)
print("token=" + token, flush=True)
print("dsn=postgres://app:%s@db:5432/app" % password, flush=True)
sys.stdout.write("split=" + token[:7])
sys.stdout.flush()
time.sleep(0.3)
sys.stdout.write(token[7:] + " end\n")
sys.stdout.flush()
print("auth failed for token " + token, file=sys.stderr, flush=True)
sys.exit(1)
