// Command etcd starts the etcd server from the go.etcd.io/etcd/server/v3 module.
// The module's own main package cannot be installed with `go install` (its
// root module uses replace directives), so the testbed builds this one.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
