# A worker that opens no port (like a Discord bot). At start it runs a helper the way daemons do, by
# forking twice: the helper's parent exits at once, so the helper is orphaned and re-parented to the
# container's PID 1, which must reap it when it exits or it stays a zombie.
import os
import sys
import time

child = os.fork()
if child == 0:
    if os.fork() == 0:
        time.sleep(0.5)
        print("helper %d done" % os.getpid(), flush=True)
        os._exit(0)
    os._exit(0)
os.waitpid(child, 0)

tick = 0
while True:
    tick += 1
    print("worker tick %d" % tick, flush=True)
    time.sleep(0.5)
