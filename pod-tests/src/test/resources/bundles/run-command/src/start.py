import sys
import time

print("start.py args=%s" % sys.argv[1:], flush=True)
while True:
    time.sleep(1)
