// Command etcd is etcd's own server entry point, built from the Go module proxy for the integration
// tests (see scripts/k8s-binaries.sh): etcd's release modules carry replace directives, so
// `go install` of its command is refused and this module requires server/v3 instead.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
