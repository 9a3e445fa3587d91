package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// valueSets are the configurations rendered: the defaults, and one that turns
// every option on (sandbox, Temporal Cloud over mTLS and an API key, a chart-made
// Secret, fixed worker replicas).
var valueSets = map[string]map[string]any{
	"defaults": {},
	"everything": {
		"sandbox":  map[string]any{"enabled": true},
		"temporal": map[string]any{"tls": map[string]any{"enabled": true, "secretName": "temporal-mtls", "ca": true}, "apiKey": map[string]any{"secretName": "temporal-cloud"}},
		"secrets":  map[string]any{"create": true, "values": map[string]any{"DATABASE_URL": "postgres://x@db/paysaga"}},
		"worker":   map[string]any{"hpa": map[string]any{"enabled": false}},
	},
}

// checkChart lints and renders the chart with every value set and checks each
// manifest; it returns how many it decoded.
func checkChart(dir string) (int, error) {
	names := make([]string, 0, len(valueSets))
	for name := range valueSets {
		names = append(names, name)
	}
	sort.Strings(names)
	total := 0
	for _, name := range names {
		vals := valueSets[name]
		res := lint.AllWithKubeVersion(dir, vals, "paysaga", nil)
		for _, m := range res.Messages {
			if m.Severity >= support.WarningSev {
				return total, fmt.Errorf("helm lint (%s): %s", name, m)
			}
		}
		manifests, err := render(dir, vals)
		if err != nil {
			return total, fmt.Errorf("helm template (%s): %w", name, err)
		}
		for file, doc := range manifests {
			if err := checkManifest(doc); err != nil {
				return total, fmt.Errorf("%s (%s): %w", file, name, err)
			}
			total++
		}
	}
	return total, nil
}

// render is `helm template`: the chart's templates with the values, as
// file#n -> one YAML document.
func render(dir string, vals map[string]any) (map[string]string, error) {
	ch, err := loader.Load(dir)
	if err != nil {
		return nil, err
	}
	opts := chartutil.ReleaseOptions{Name: "release", Namespace: "paysaga", Revision: 1, IsInstall: true}
	rv, err := chartutil.ToRenderValues(ch, vals, opts, chartutil.DefaultCapabilities)
	if err != nil {
		return nil, err
	}
	files, err := engine.Render(ch, rv)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for file, text := range files {
		if !strings.HasSuffix(file, ".yaml") {
			continue
		}
		for i, doc := range strings.Split(text, "\n---") {
			if strings.TrimSpace(stripComments(doc)) != "" {
				out[fmt.Sprintf("%s#%d", file, i)] = doc
			}
		}
	}
	return out, nil
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, l := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// kinds the chart may render, each with its API type.
var kinds = map[string]func() any{
	"apps/v1/Deployment":                     func() any { return &appsv1.Deployment{} },
	"v1/Service":                             func() any { return &corev1.Service{} },
	"v1/ConfigMap":                           func() any { return &corev1.ConfigMap{} },
	"v1/Secret":                              func() any { return &corev1.Secret{} },
	"policy/v1/PodDisruptionBudget":          func() any { return &policyv1.PodDisruptionBudget{} },
	"autoscaling/v2/HorizontalPodAutoscaler": func() any { return &autoscalingv2.HorizontalPodAutoscaler{} },
	"batch/v1/Job":                           func() any { return &batchv1.Job{} },
}

// checkManifest decodes one document strictly into its type and checks its
// pods' security settings.
func checkManifest(doc string) error {
	obj, err := decodeStrict(doc)
	if err != nil {
		return err
	}
	var pod *corev1.PodTemplateSpec
	switch o := obj.(type) {
	case *appsv1.Deployment:
		pod = &o.Spec.Template
	case *batchv1.Job:
		pod = &o.Spec.Template
	}
	if pod != nil {
		return nonRoot(pod.Spec)
	}
	return nil
}

// decodeStrict turns YAML into the API type of its apiVersion and kind and
// fails on any field that type does not have.
func decodeStrict(doc string) (any, error) {
	raw, err := yaml.YAMLToJSON([]byte(doc))
	if err != nil {
		return nil, err
	}
	var head struct{ APIVersion, Kind string }
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, err
	}
	newObj, ok := kinds[head.APIVersion+"/"+head.Kind]
	if !ok {
		return nil, fmt.Errorf("unexpected kind %s %s", head.APIVersion, head.Kind)
	}
	// Case-sensitive, as the API server decodes: encoding/json would take
	// readOnlyRootFileSystem for readOnlyRootFilesystem.
	obj := newObj()
	strict, err := kjson.UnmarshalStrict(raw, obj, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", head.Kind, err)
	}
	if len(strict) > 0 {
		return nil, fmt.Errorf("%s: %w", head.Kind, errors.Join(strict...))
	}
	return obj, nil
}

// nonRoot: the pod and every container run as a non-root user, without
// privilege escalation, on a read-only root filesystem.
func nonRoot(spec corev1.PodSpec) error {
	psc := spec.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
		return errors.New("pod securityContext must set runAsNonRoot: true and a non-zero runAsUser")
	}
	for _, c := range append(append([]corev1.Container(nil), spec.InitContainers...), spec.Containers...) {
		sc := c.SecurityContext
		switch {
		case sc == nil:
			return fmt.Errorf("container %s has no securityContext", c.Name)
		case sc.RunAsUser != nil && *sc.RunAsUser == 0:
			return fmt.Errorf("container %s runs as root", c.Name)
		case sc.RunAsNonRoot != nil && !*sc.RunAsNonRoot:
			return fmt.Errorf("container %s allows root", c.Name)
		case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
			return fmt.Errorf("container %s: root filesystem not read-only", c.Name)
		case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
			return fmt.Errorf("container %s may escalate privileges", c.Name)
		case sc.Privileged != nil && *sc.Privileged:
			return fmt.Errorf("container %s is privileged", c.Name)
		}
	}
	return nil
}
