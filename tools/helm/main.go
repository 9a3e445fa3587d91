// Command chartcheck is what make test runs on deploy/helm/paysaga: helm's own
// lint and template (the pinned helm.sh/helm/v3 library, the code the helm CLI
// runs), then every rendered manifest decoded strictly into its Kubernetes API
// type (k8s.io/api), so a misspelt or misplaced field fails, and every pod
// checked to run as non-root on a read-only root filesystem.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: chartcheck CHART_DIR")
		os.Exit(2)
	}
	n, err := checkChart(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "chartcheck:", err)
		os.Exit(1)
	}
	fmt.Printf("chartcheck: %s lint ok, %d manifests decoded strictly, nothing runs as root\n", os.Args[1], n)
}
