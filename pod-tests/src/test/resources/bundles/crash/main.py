import sys

print("connecting to the moon", flush=True)
print("fatal: cannot reach the moon (connection refused)", file=sys.stderr, flush=True)
sys.exit(3)
