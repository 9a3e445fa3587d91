package main

import (
	"strings"
	"testing"
)

// The chart as committed passes.
func TestChart(t *testing.T) {
	n, err := checkChart("../../deploy/helm/paysaga")
	if err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Fatalf("only %d manifests rendered", n)
	}
}

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: x}
spec:
  selector: {matchLabels: {a: b}}
  template:
    metadata: {labels: {a: b}}
    spec:
      securityContext: {runAsNonRoot: true, runAsUser: 65532}
      containers:
        - name: c
          image: i
          securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true}
`

// A field the API type does not have fails the decode: a typo, or a field one
// level off, which the API server would drop or refuse.
func TestWrongFieldFails(t *testing.T) {
	if err := checkManifest(deployment); err != nil {
		t.Fatalf("the valid manifest: %v", err)
	}
	for name, doc := range map[string]string{
		"typo":      strings.Replace(deployment, "readOnlyRootFilesystem", "readOnlyRootFileSystem", 1),
		"misplaced": strings.Replace(deployment, "      containers:", "      replicas: 2\n      containers:", 1),
		"kind":      strings.Replace(deployment, "kind: Deployment", "kind: Deploymnet", 1),
	} {
		if err := checkManifest(doc); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
}

// A pod that may run as root, or writes its root filesystem, fails.
func TestRootFails(t *testing.T) {
	for name, doc := range map[string]string{
		"pod root":       strings.Replace(deployment, "runAsUser: 65532", "runAsUser: 0", 1),
		"no nonroot":     strings.Replace(deployment, "runAsNonRoot: true, ", "", 1),
		"writable root":  strings.Replace(deployment, "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false", 1),
		"container root": strings.Replace(deployment, "allowPrivilegeEscalation: false,", "allowPrivilegeEscalation: false, runAsUser: 0,", 1),
	} {
		if err := checkManifest(doc); err == nil {
			t.Errorf("%s: passed", name)
		}
	}
}
