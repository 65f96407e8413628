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
        # One write per line (print writes the newline apart when unbuffered): the helper and the worker share
        # the pipe, and a tick landing between the two writes would split the helper's line.
        sys.stdout.write("helper %d done\n" % os.getpid())
        sys.stdout.flush()
        os._exit(0)
    os._exit(0)
os.waitpid(child, 0)

tick = 0
while True:
    tick += 1
    sys.stdout.write("worker tick %d\n" % tick)
    sys.stdout.flush()
    time.sleep(0.5)
