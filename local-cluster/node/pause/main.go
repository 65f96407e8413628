// orch-pause is the pod sandbox's process on the local node: it holds the pod's namespaces open and
// does nothing else until it is told to stop. No registry is reachable from our build machines, so the
// usual pause image cannot be pulled; this one is built from source like the rest of the node.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	// As PID 1 of a pod that shares its process namespace, the sandbox inherits orphans: reap them.
	reap := make(chan os.Signal, 1)
	signal.Notify(reap, syscall.SIGCHLD)
	for {
		select {
		case <-stop:
			return
		case <-reap:
			for {
				pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
				if pid <= 0 || err != nil {
					break
				}
			}
		}
	}
}
