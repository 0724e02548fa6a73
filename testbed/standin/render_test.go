package main

import (
	"encoding/json"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

func profile(t *testing.T, name string) *Profile {
	t.Helper()
	p, err := LoadProfile(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// cr builds a Backstage from a YAML spec.
func cr(t *testing.T, spec string) *Backstage {
	t.Helper()
	obj := map[string]any{}
	if err := yaml.Unmarshal([]byte("spec:\n"+indent(spec)), &obj); err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{Object: obj}
	u.SetAPIVersion("rhdh.redhat.com/v1alpha4")
	u.SetKind("Backstage")
	u.SetName("developer-hub")
	u.SetNamespace("ai-rhdh")
	u.SetUID("uid-1")
	bs, err := parseBackstage(u)
	if err != nil {
		t.Fatal(err)
	}
	return bs
}

func indent(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i, l := range lines {
		lines[i] = "  " + l
	}
	return strings.Join(lines, "\n") + "\n"
}

func render(t *testing.T, p *Profile, bs *Backstage, ext ExternalConfig) map[string]*unstructured.Unstructured {
	t.Helper()
	objs, err := Render(p, bs, ext)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*unstructured.Unstructured{}
	for _, o := range objs {
		out[o.GetKind()] = o
	}
	return out
}

func deployment(t *testing.T, objs map[string]*unstructured.Unstructured) *appsv1.Deployment {
	t.Helper()
	d := &appsv1.Deployment{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(objs["Deployment"].Object, d); err != nil {
		t.Fatal(err)
	}
	return d
}

func names(cs []corev1.Container) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

func find(cs []corev1.Container, name string) *corev1.Container {
	for i := range cs {
		if cs[i].Name == name {
			return &cs[i]
		}
	}
	return nil
}

func volume(spec corev1.PodSpec, name string) *corev1.Volume {
	for i := range spec.Volumes {
		if spec.Volumes[i].Name == name {
			return &spec.Volumes[i]
		}
	}
	return nil
}

func equal(t *testing.T, what string, got, want any) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("%s: got %s, want %s", what, g, w)
	}
}

func TestDefaultDeployment18(t *testing.T) {
	objs := render(t, profile(t, "1.8"), cr(t, "{}"), ExternalConfig{Hash: "h1"})
	d := deployment(t, objs)
	spec := d.Spec.Template.Spec
	equal(t, "name", d.Name, "backstage-developer-hub")
	equal(t, "namespace", d.Namespace, "ai-rhdh")
	equal(t, "selector", d.Spec.Selector.MatchLabels, map[string]string{appLabel: "backstage-developer-hub"})
	equal(t, "pod labels", d.Spec.Template.Labels, map[string]string{appLabel: "backstage-developer-hub"})
	equal(t, "labels", d.Labels, map[string]string{kubeNameLabel: "backstage", kubeInstanceLabel: "developer-hub"})
	equal(t, "hash", d.Spec.Template.Annotations[extConfigHashAnnotation], "h1")
	equal(t, "containers", names(spec.Containers), []string{"backstage-backend"})
	equal(t, "init containers", names(spec.InitContainers), []string{"install-dynamic-plugins"})
	equal(t, "automount", *spec.AutomountServiceAccountToken, false)
	equal(t, "replicas", d.Spec.Replicas, nil)
	if v := volume(spec, "dynamic-plugins-root"); v == nil || v.EmptyDir == nil {
		t.Errorf("dynamic-plugins-root must be an emptyDir: %+v", v)
	}
	if volume(spec, "extensions-catalog") != nil {
		t.Error("1.8 has no extensions-catalog volume")
	}
	backend := find(spec.Containers, "backstage-backend")
	equal(t, "image", backend.Image, "quay.io/rhdh/rhdh-hub-rhel9:1.8")
	equal(t, "args", backend.Args, []string{"--config", "dynamic-plugins-root/app-config.dynamic-plugins.yaml"})
	equal(t, "port", backend.Ports[0].Name, "backend")
	init := find(spec.InitContainers, "install-dynamic-plugins")
	last := init.VolumeMounts[len(init.VolumeMounts)-1]
	equal(t, "plugins mount", last, corev1.VolumeMount{Name: "backstage-dynamic-plugins-developer-hub",
		MountPath: "/opt/app-root/src/dynamic-plugins.yaml", SubPath: "dynamic-plugins.yaml", ReadOnly: true})
	owner := d.OwnerReferences[0]
	equal(t, "owner", []any{owner.Kind, owner.Name, string(owner.UID), *owner.Controller}, []any{"Backstage", "developer-hub", "uid-1", true})

	svc := objs["Service"]
	equal(t, "service name", svc.GetName(), "backstage-developer-hub")
	sel, _, _ := unstructured.NestedStringMap(svc.Object, "spec", "selector")
	equal(t, "service selector", sel, map[string]string{appLabel: "backstage-developer-hub"})
	cm := objs["ConfigMap"]
	equal(t, "plugins cm", cm.GetName(), "backstage-dynamic-plugins-developer-hub")
}

func TestPatchMergesContainersByName(t *testing.T) {
	bs := cr(t, `
deployment:
  patch:
    spec:
      template:
        spec:
          containers:
            - name: backstage-backend
              env:
                - name: EXTRA
                  value: "1"
            - name: location
              image: quay.io/redhat-ai-dev/model-catalog-location-service@sha256:abc
              volumeMounts:
                - name: dynamic-plugins-root
                  mountPath: /opt/app-root/src/dynamic-plugins-root
          volumes:
            - name: temp
              emptyDir:
                medium: Memory
`)
	d := deployment(t, render(t, profile(t, "1.8"), bs, ExternalConfig{}))
	spec := d.Spec.Template.Spec
	equal(t, "containers", names(spec.Containers), []string{"backstage-backend", "location"})
	backend := find(spec.Containers, "backstage-backend")
	equal(t, "backend image kept", backend.Image, "quay.io/rhdh/rhdh-hub-rhel9:1.8")
	equal(t, "backend env", backend.Env, []corev1.EnvVar{{Name: "APP_CONFIG_backend_listen_port", Value: "7007"}, {Name: "EXTRA", Value: "1"}})
	equal(t, "backend mounts kept", len(backend.VolumeMounts), 2)
	equal(t, "temp volume merged", volume(spec, "temp").EmptyDir.Medium, corev1.StorageMediumMemory)
	equal(t, "volume count", len(spec.Volumes), 5) // 4 defaults + plugins ConfigMap
}

func TestLightspeedFlavour(t *testing.T) {
	p := profile(t, "1.10")
	on := deployment(t, render(t, p, cr(t, "{}"), ExternalConfig{})).Spec.Template.Spec
	equal(t, "containers", names(on.Containers), []string{"backstage-backend", "lightspeed-core"})
	equal(t, "init containers", names(on.InitContainers), []string{"install-dynamic-plugins", "init-rag-data"})
	equal(t, "lcs port", find(on.Containers, "lightspeed-core").Ports[0].Name, "lcs-backend")
	for _, v := range []string{"shared-storage", "rag-data-volume", "extensions-catalog"} {
		if volume(on, v) == nil {
			t.Errorf("volume %s missing", v)
		}
	}
	off := deployment(t, render(t, p, cr(t, "flavours: [{name: lightspeed, enabled: false}]"), ExternalConfig{})).Spec.Template.Spec
	equal(t, "containers without lightspeed", names(off.Containers), []string{"backstage-backend"})
	equal(t, "init without lightspeed", names(off.InitContainers), []string{"install-dynamic-plugins"})
	if volume(off, "rag-data-volume") != nil {
		t.Error("rag-data-volume must go with the flavour")
	}
	if _, err := Render(p, cr(t, "flavours: [{name: nope}]"), ExternalConfig{}); err == nil {
		t.Error("an unknown flavour must fail")
	}
	d := deployment(t, render(t, p, cr(t, "{}"), ExternalConfig{}))
	equal(t, "strategy", d.Spec.Strategy.Type, appsv1.RollingUpdateDeploymentStrategyType)
	equal(t, "image", find(d.Spec.Template.Spec.Containers, "backstage-backend").Image, "quay.io/rhdh-community/rhdh:next-1.10")
}

func TestPatchKeepsForeignContainers(t *testing.T) {
	bs := cr(t, `
deployment:
  patch:
    spec:
      template:
        spec:
          containers:
            - name: location
              image: example/location
            - name: storage-rest
              image: example/storage
`)
	spec := deployment(t, render(t, profile(t, "1.10"), bs, ExternalConfig{})).Spec.Template.Spec
	equal(t, "containers", names(spec.Containers), []string{"backstage-backend", "lightspeed-core", "location", "storage-rest"})
}

func TestStatefulSetKind(t *testing.T) {
	objs := render(t, profile(t, "1.10"), cr(t, `
deployment:
  kind: StatefulSet
  patch:
    spec:
      template:
        spec:
          containers:
            - name: extra
              image: busybox
`), ExternalConfig{})
	if objs["Deployment"] != nil || objs["StatefulSet"] == nil {
		t.Fatalf("want a StatefulSet only, got %v", objs)
	}
	s := &appsv1.StatefulSet{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(objs["StatefulSet"].Object, s); err != nil {
		t.Fatal(err)
	}
	equal(t, "containers", names(s.Spec.Template.Spec.Containers), []string{"backstage-backend", "lightspeed-core", "extra"})
	equal(t, "selector", s.Spec.Selector.MatchLabels[appLabel], "backstage-developer-hub")
}

func TestApplicationFields(t *testing.T) {
	bs := cr(t, `
application:
  replicas: 2
  image: example/rhdh:custom
  appConfig:
    configMaps:
      - name: app-config-rhdh
      - name: connector-config
        key: app-config.yaml
  extraEnvs:
    envs:
      - name: LOG_LEVEL
        value: debug
    secrets:
      - name: connector-token
        containers: ["*"]
      - name: db
        key: PASSWORD
    configMaps:
      - name: settings
        containers: [install-dynamic-plugins]
`)
	ext := ExternalConfig{AppConfigKeys: map[string][]string{
		"app-config-rhdh":  {"a.yaml", "b.yaml"},
		"connector-config": {"app-config.yaml", "other.yaml"},
	}}
	d := deployment(t, render(t, profile(t, "1.8"), bs, ext))
	spec := d.Spec.Template.Spec
	equal(t, "replicas", *d.Spec.Replicas, 2)
	backend := find(spec.Containers, "backstage-backend")
	init := find(spec.InitContainers, "install-dynamic-plugins")
	equal(t, "images", []string{backend.Image, init.Image}, []string{"example/rhdh:custom", "example/rhdh:custom"})
	equal(t, "args", backend.Args, []string{"--config", "dynamic-plugins-root/app-config.dynamic-plugins.yaml",
		"--config", "/opt/app-root/src/a.yaml", "--config", "/opt/app-root/src/b.yaml",
		"--config", "/opt/app-root/src/app-config.yaml"})
	mounts := backend.VolumeMounts[2:]
	equal(t, "app-config mounts", mounts, []corev1.VolumeMount{
		{Name: "app-config-rhdh", MountPath: "/opt/app-root/src/a.yaml", SubPath: "a.yaml", ReadOnly: true},
		{Name: "app-config-rhdh", MountPath: "/opt/app-root/src/b.yaml", SubPath: "b.yaml", ReadOnly: true},
		{Name: "connector-config", MountPath: "/opt/app-root/src/app-config.yaml", SubPath: "app-config.yaml", ReadOnly: true},
	})
	if v := volume(spec, "connector-config"); v == nil || v.ConfigMap == nil || v.ConfigMap.Name != "connector-config" {
		t.Errorf("connector-config volume: %+v", v)
	}
	equal(t, "backend env", backend.Env[1:], []corev1.EnvVar{{Name: "LOG_LEVEL", Value: "debug"},
		{Name: "PASSWORD", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: "db"}, Key: "PASSWORD"}}}})
	token := corev1.EnvFromSource{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "connector-token"}}}
	equal(t, "backend envFrom", backend.EnvFrom, []corev1.EnvFromSource{token})
	settings := corev1.EnvFromSource{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "settings"}}}
	equal(t, "init envFrom", init.EnvFrom, []corev1.EnvFromSource{settings, token})
}

func TestDynamicPluginsMerge(t *testing.T) {
	defaults := `
includes: [dynamic-plugins.default.yaml]
plugins:
  - package: ./dynamic-plugins/dist/a
    disabled: true
    pluginConfig: {x: 1}
  - package: ./dynamic-plugins/dist/b
    disabled: true
`
	user := `
includes: [dynamic-plugins.default.yaml, extra.yaml]
plugins:
  - package: ./dynamic-plugins/dist/a
    pluginConfig: {z: 2}
  - package: oci://ghcr.io/x/model-catalog:bs_1.42.5__0.7.0!model-catalog
    disabled: false
`
	out, err := mergeDynamicPlugins(defaults, user)
	if err != nil {
		t.Fatal(err)
	}
	var got dynamicPluginsFile
	if err := yaml.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	equal(t, "includes", got.Includes, []string{"dynamic-plugins.default.yaml", "extra.yaml"})
	equal(t, "plugins", got.Plugins, []map[string]any{
		{"package": "./dynamic-plugins/dist/a", "disabled": false, "pluginConfig": map[string]any{"z": 2}},
		{"package": "./dynamic-plugins/dist/b", "disabled": true},
		{"package": "oci://ghcr.io/x/model-catalog:bs_1.42.5__0.7.0!model-catalog", "disabled": false},
	})

	objs := render(t, profile(t, "1.8"), cr(t, "application: {dynamicPluginsConfigMapName: dynamic-plugins-rhdh}"),
		ExternalConfig{DynamicPlugins: user})
	data, _, _ := unstructured.NestedString(objs["ConfigMap"].Object, "data", dynamicPluginsKey)
	if !strings.Contains(data, "model-catalog") || !strings.Contains(data, "extra.yaml") {
		t.Errorf("user plugins not merged into the operator's ConfigMap:\n%s", data)
	}
}

func TestNeedsApply(t *testing.T) {
	obj := func(gen int64, rv string, labels map[string]string) *unstructured.Unstructured {
		u := &unstructured.Unstructured{Object: map[string]any{}}
		u.SetGeneration(gen)
		u.SetResourceVersion(rv)
		u.SetLabels(labels)
		return u
	}
	want := obj(0, "", map[string]string{"a": "1"})
	st := appliedState{hash: "h", resourceVersion: "100", generation: 3}
	cases := []struct {
		what, kind, hash string
		known            bool
		live             *unstructured.Unstructured
		reason           string
	}{
		{"missing", "Deployment", "h", true, nil, "missing"},
		{"restart", "Deployment", "h", false, obj(3, "120", map[string]string{"a": "1"}), "not applied by this process yet"},
		{"same", "Deployment", "h", true, obj(3, "150", map[string]string{"a": "1"}), ""},
		{"new spec", "Deployment", "h2", true, obj(3, "150", map[string]string{"a": "1"}), "spec changed"},
		{"edited", "Deployment", "h", true, obj(4, "160", map[string]string{"a": "1"}), "changed by another client"},
		{"stale cache", "Deployment", "h", true, obj(2, "90", map[string]string{"a": "2"}), ""},
		{"label removed", "Deployment", "h", true, obj(3, "170", nil), "metadata changed by another client"},
		{"cm same", "ConfigMap", "h", true, obj(0, "100", nil), ""},
		{"cm stale", "ConfigMap", "h", true, obj(0, "99", nil), ""},
		{"cm edited", "ConfigMap", "h", true, obj(0, "101", nil), "changed by another client"},
	}
	for _, c := range cases {
		if got := needsApply(c.kind, c.hash, st, c.known, want, c.live); got != c.reason {
			t.Errorf("%s: got %q, want %q", c.what, got, c.reason)
		}
	}
}

func TestObjectDataHash(t *testing.T) {
	cm := &unstructured.Unstructured{Object: map[string]any{"kind": "ConfigMap",
		"data": map[string]any{"b": "2", "a": "1"}, "binaryData": map[string]any{"z": "AAE="}}}
	equal(t, "configmap", string(objectData(cm)), "a1b2z\x00\x01")
	secret := &unstructured.Unstructured{Object: map[string]any{"kind": "Secret", "data": map[string]any{"token": "dG9r"}}}
	equal(t, "secret", string(objectData(secret)), "tokentok")
}
