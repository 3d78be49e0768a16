// The process every pod's sandbox runs: it holds the pod's namespaces open and does nothing else. Kubernetes'
// own is a few lines of C (build/pause/linux/pause.c); this is the same in Go, so that it is built, static, from
// the Go toolchain the other programs come from. It exits on SIGINT or SIGTERM, and reaps the orphans it is
// given as PID 1 of a pod that shares its PID namespace.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for received := range signals {
		if received == syscall.SIGCHLD {
			for {
				pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
				if pid <= 0 || err != nil {
					break
				}
			}
			continue
		}
		os.Exit(0)
	}
}
