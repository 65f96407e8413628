# Must not run: orchagent.json's run_command comes before file detection.
import sys

print("main.py ran instead of run_command", file=sys.stderr)
sys.exit(3)
