package main

import (
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	"sigs.k8s.io/kustomize/kyaml/yaml/merge2"
	"sigs.k8s.io/yaml"
)

const (
	appLabel                    = "rhdh.redhat.com/app"
	kubeNameLabel               = "app.kubernetes.io/name"
	kubeInstanceLabel           = "app.kubernetes.io/instance"
	kubeNameValue               = "backstage"
	extConfigSyncLabel          = "rhdh.redhat.com/ext-config-sync"
	backstageNameAnnotation     = "rhdh.redhat.com/backstage-name"
	extConfigHashAnnotation     = "rhdh.redhat.com/ext-config-hash"
	backstageContainerName      = "backstage-backend"
	dynamicPluginsInitContainer = "install-dynamic-plugins"
	dynamicPluginsKey           = "dynamic-plugins.yaml"
	defaultMountDir             = "/opt/app-root/src"
)

// ExternalConfig is what the reconciler read from the user's objects before rendering.
type ExternalConfig struct {
	AppConfigKeys  map[string][]string // app-config ConfigMap name -> its sorted data keys
	DynamicPlugins string              // the user's dynamic-plugins.yaml ("" when the CR names none)
	Hash           string              // hash of the watched external objects' data
}

func workloadName(cr string) string         { return "backstage-" + cr }
func pluginsConfigMapName(cr string) string { return "backstage-dynamic-plugins-" + cr }

// Render computes the objects the operator owns for one Backstage CR: the dynamic plugins
// ConfigMap, the Service and the workload (Deployment or StatefulSet), in apply order.
func Render(p *Profile, bs *Backstage, ext ExternalConfig) ([]*unstructured.Unstructured, error) {
	w, err := renderWorkload(p, bs, ext)
	if err != nil {
		return nil, err
	}
	cm, err := renderPluginsConfigMap(p, bs, ext)
	if err != nil {
		return nil, err
	}
	init := w.container(dynamicPluginsInitContainer)
	if init == nil {
		return nil, fmt.Errorf("failed to find initContainer named %s", dynamicPluginsInitContainer)
	}
	w.mountFiles([]*corev1.Container{init}, volumeSource(cm.Name, false), cm.Name, init.WorkingDir, dynamicPluginsKey, true, []string{dynamicPluginsKey})
	svc := renderService(bs)
	var out []*unstructured.Unstructured
	for _, obj := range []metav1.Object{cm, svc, w.meta()} {
		setMetaInfo(obj, bs)
		u, err := toUnstructured(obj.(runtime.Object))
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

func renderPluginsConfigMap(p *Profile, bs *Backstage, ext ExternalConfig) (*corev1.ConfigMap, error) {
	data := p.DynamicPlugins
	if bs.app().DynamicPluginsConfigMapName != "" {
		merged, err := mergeDynamicPlugins(p.DynamicPlugins, ext.DynamicPlugins)
		if err != nil {
			return nil, err
		}
		data = merged
	}
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: pluginsConfigMapName(bs.Name)},
		Data:       map[string]string{dynamicPluginsKey: data},
	}, nil
}

func renderService(bs *Backstage) *corev1.Service {
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Name: workloadName(bs.Name)},
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: map[string]string{appLabel: workloadName(bs.Name)},
			Ports: []corev1.ServicePort{{
				Name: "http-backend", Port: 80, TargetPort: intstr.FromString("backend"),
			}},
		},
	}
}

func setMetaInfo(obj metav1.Object, bs *Backstage) {
	obj.SetNamespace(bs.Namespace)
	labels := obj.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	labels[kubeNameLabel] = kubeNameValue
	labels[kubeInstanceLabel] = bs.Name
	obj.SetLabels(labels)
	obj.SetOwnerReferences([]metav1.OwnerReference{{
		APIVersion:         bs.APIVersion,
		Kind:               "Backstage",
		Name:               bs.Name,
		UID:                bs.UID,
		Controller:         ptrTo(true),
		BlockOwnerDeletion: ptrTo(true),
	}})
}

// renderWorkload builds the Backstage workload: default (+ enabled flavours, merged with kyaml's
// merge2), converted to the requested kind, merged with spec.deployment.patch (merge2 again),
// then completed from spec.application.
func renderWorkload(p *Profile, bs *Backstage, ext ExternalConfig) (*workload, error) {
	base, err := mergeFlavours(p, bs)
	if err != nil {
		return nil, err
	}
	dep := &appsv1.Deployment{}
	if err := yaml.Unmarshal([]byte(base), dep); err != nil {
		return nil, fmt.Errorf("default deployment: %w", err)
	}
	w := &workload{obj: dep}
	if d := bs.Spec.Deployment; d != nil {
		if d.Kind != "" && d.Kind != w.kind() {
			if w, err = w.convertTo(d.Kind); err != nil {
				return nil, err
			}
		}
		if err := w.patch(d.Patch); err != nil {
			return nil, err
		}
	}
	if w.container(backstageContainerName) == nil {
		return nil, fmt.Errorf("backstage Deployment is not initialized, Backstage Container is not identified")
	}
	pod := w.podTemplate()
	if pod.Annotations == nil {
		pod.Annotations = map[string]string{}
	}
	pod.Annotations[extConfigHashAnnotation] = ext.Hash

	name := workloadName(bs.Name)
	w.meta().SetName(name)
	if pod.Labels == nil {
		pod.Labels = map[string]string{}
	}
	pod.Labels[appLabel] = name
	sel := w.selector()
	if sel.MatchLabels == nil {
		sel.MatchLabels = map[string]string{}
	}
	sel.MatchLabels[appLabel] = name

	if err := w.applyApplication(bs, ext); err != nil {
		return nil, err
	}
	return w, nil
}

// enabledFlavours: every flavour of the profile with its default, overridden by spec.flavours
// entries (enabled defaults to true); a name the profile lacks is an error.
func enabledFlavours(p *Profile, spec *[]FlavourSpec) ([]Flavour, error) {
	enabled := map[string]bool{}
	for _, f := range p.Flavours {
		enabled[f.Name] = f.EnabledByDefault
	}
	if spec != nil {
		for _, f := range *spec {
			if _, ok := enabled[f.Name]; !ok {
				return nil, fmt.Errorf("flavour '%s' not found in profile %s", f.Name, p.Name)
			}
			enabled[f.Name] = f.Enabled == nil || *f.Enabled
		}
	}
	var out []Flavour
	for _, f := range p.Flavours {
		if enabled[f.Name] {
			out = append(out, f)
		}
	}
	return out, nil
}

func mergeFlavours(p *Profile, bs *Backstage) (string, error) {
	flavours, err := enabledFlavours(p, bs.Spec.Flavours)
	if err != nil {
		return "", err
	}
	merged := p.Deployment
	for _, f := range flavours {
		if f.Deployment == "" {
			continue
		}
		if merged, err = merge2.MergeStrings(f.Deployment, merged, false, kyaml.MergeOptions{}); err != nil {
			return "", fmt.Errorf("failed to merge deployment of flavour %s: %w", f.Name, err)
		}
	}
	return merged, nil
}

// workload wraps the Deployment or StatefulSet that runs Backstage.
type workload struct {
	obj runtime.Object
}

func (w *workload) kind() string {
	if _, ok := w.obj.(*appsv1.StatefulSet); ok {
		return "StatefulSet"
	}
	return "Deployment"
}

func (w *workload) meta() metav1.Object { return w.obj.(metav1.Object) }

func (w *workload) podTemplate() *corev1.PodTemplateSpec {
	if s, ok := w.obj.(*appsv1.StatefulSet); ok {
		return &s.Spec.Template
	}
	return &w.obj.(*appsv1.Deployment).Spec.Template
}

func (w *workload) podSpec() *corev1.PodSpec { return &w.podTemplate().Spec }

func (w *workload) selector() *metav1.LabelSelector {
	var sel **metav1.LabelSelector
	if s, ok := w.obj.(*appsv1.StatefulSet); ok {
		sel = &s.Spec.Selector
	} else {
		sel = &w.obj.(*appsv1.Deployment).Spec.Selector
	}
	if *sel == nil {
		*sel = &metav1.LabelSelector{}
	}
	return *sel
}

func (w *workload) setReplicas(n *int32) {
	if s, ok := w.obj.(*appsv1.StatefulSet); ok {
		s.Spec.Replicas = n
	} else {
		w.obj.(*appsv1.Deployment).Spec.Replicas = n
	}
}

func (w *workload) convertTo(kind string) (*workload, error) {
	dep, ok := w.obj.(*appsv1.Deployment)
	if !ok || kind != "StatefulSet" {
		return nil, fmt.Errorf("can not convert deployment to kind %s", kind)
	}
	return &workload{obj: &appsv1.StatefulSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "StatefulSet"},
		ObjectMeta: dep.ObjectMeta,
		Spec: appsv1.StatefulSetSpec{
			Replicas: dep.Spec.Replicas,
			Selector: dep.Spec.Selector,
			Template: dep.Spec.Template,
		},
	}}, nil
}

// patch merges spec.deployment.patch into the workload the way the RHDH operator does:
// merge2.MergeStrings(patch, marshalled workload, false, kyaml.MergeOptions{}).
func (w *workload) patch(raw []byte) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	current, err := yaml.Marshal(w.obj)
	if err != nil {
		return fmt.Errorf("can not marshal deployment object: %w", err)
	}
	merged, err := merge2.MergeStrings(string(raw), string(current), false, kyaml.MergeOptions{})
	if err != nil {
		return fmt.Errorf("can not merge spec.deployment: %w", err)
	}
	fresh := w.obj.DeepCopyObject()
	switch o := fresh.(type) {
	case *appsv1.Deployment:
		*o = appsv1.Deployment{}
	case *appsv1.StatefulSet:
		*o = appsv1.StatefulSet{}
	}
	if err := yaml.Unmarshal([]byte(merged), fresh); err != nil {
		return fmt.Errorf("can not unmarshal merged deployment: %w", err)
	}
	w.obj = fresh
	return nil
}

func (w *workload) container(name string) *corev1.Container {
	spec := w.podSpec()
	for i := range spec.Containers {
		if spec.Containers[i].Name == name {
			return &spec.Containers[i]
		}
	}
	for i := range spec.InitContainers {
		if spec.InitContainers[i].Name == name {
			return &spec.InitContainers[i]
		}
	}
	return nil
}

// containers resolves a `containers` list of the CR: empty means backstage-backend, ["*"] every
// container and init container, otherwise the named ones.
func (w *workload) containers(names []string) ([]*corev1.Container, error) {
	if len(names) == 0 {
		return []*corev1.Container{w.container(backstageContainerName)}, nil
	}
	spec := w.podSpec()
	if len(names) == 1 && names[0] == "*" {
		var all []*corev1.Container
		for i := range spec.Containers {
			all = append(all, &spec.Containers[i])
		}
		for i := range spec.InitContainers {
			all = append(all, &spec.InitContainers[i])
		}
		return all, nil
	}
	var out []*corev1.Container
	for _, n := range names {
		c := w.container(n)
		if c == nil {
			return nil, fmt.Errorf("container %s not found in the Backstage workload", n)
		}
		out = append(out, c)
	}
	return out, nil
}

func (w *workload) applyApplication(bs *Backstage, ext ExternalConfig) error {
	app := bs.app()
	if app.Image != nil {
		w.container(backstageContainerName).Image = *app.Image
		if init := w.container(dynamicPluginsInitContainer); init != nil {
			init.Image = *app.Image
		}
	}
	if app.Replicas != nil {
		w.setReplicas(app.Replicas)
	}
	for _, s := range app.ImagePullSecrets {
		w.podSpec().ImagePullSecrets = append(w.podSpec().ImagePullSecrets, corev1.LocalObjectReference{Name: s})
	}
	if err := w.addAppConfigs(app, ext); err != nil {
		return err
	}
	return w.addExtraEnvs(app.ExtraEnvs)
}

func (w *workload) addAppConfigs(app *Application, ext ExternalConfig) error {
	if app.AppConfig == nil {
		return nil
	}
	backstage := w.container(backstageContainerName)
	for _, ref := range app.AppConfig.ConfigMaps {
		mp, withSubPath := w.mountPath(ref.MountPath, ref.Key, app.AppConfig.MountPath)
		keys := ext.AppConfigKeys[ref.Name]
		w.mountFiles([]*corev1.Container{backstage}, volumeSource(ref.Name, false), ref.Name, mp, ref.Key, withSubPath, keys)
		for _, k := range keys {
			if ref.Key == "" || ref.Key == k {
				backstage.Args = append(backstage.Args, "--config", filepath.Join(mp, k))
			}
		}
	}
	return nil
}

func (w *workload) addExtraEnvs(env *ExtraEnvs) error {
	if env == nil {
		return nil
	}
	for _, e := range env.Envs {
		cs, err := w.containers(e.Containers)
		if err != nil {
			return err
		}
		for _, c := range cs {
			setEnv(c, corev1.EnvVar{Name: e.Name, Value: e.Value})
		}
	}
	for _, ref := range env.ConfigMaps {
		if err := w.addEnvFrom(ref, "ConfigMap"); err != nil {
			return err
		}
	}
	for _, ref := range env.Secrets {
		if err := w.addEnvFrom(ref, "Secret"); err != nil {
			return err
		}
	}
	return nil
}

func (w *workload) addEnvFrom(ref EnvObjectRef, kind string) error {
	cs, err := w.containers(ref.Containers)
	if err != nil {
		return err
	}
	obj := corev1.LocalObjectReference{Name: ref.Name}
	for _, c := range cs {
		switch {
		case ref.Key == "" && kind == "ConfigMap":
			c.EnvFrom = append(c.EnvFrom, corev1.EnvFromSource{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: obj}})
		case ref.Key == "":
			c.EnvFrom = append(c.EnvFrom, corev1.EnvFromSource{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: obj}})
		case kind == "ConfigMap":
			c.Env = append(c.Env, corev1.EnvVar{Name: ref.Key, ValueFrom: &corev1.EnvVarSource{
				ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: obj, Key: ref.Key}}})
		default:
			c.Env = append(c.Env, corev1.EnvVar{Name: ref.Key, ValueFrom: &corev1.EnvVarSource{
				SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: obj, Key: ref.Key}}})
		}
	}
	return nil
}

func setEnv(c *corev1.Container, env corev1.EnvVar) {
	for i := range c.Env {
		if c.Env[i].Name == env.Name {
			c.Env[i] = env
			return
		}
	}
	c.Env = append(c.Env, env)
}

// mountPath: the backstage container's workingDir (or /opt/app-root/src), or the shared mount
// path; an entry's own mountPath (absolute, or relative to that) wins, and without a key it is
// mounted as a directory rather than file by file.
func (w *workload) mountPath(objectMountPath, key, shared string) (string, bool) {
	mp := w.container(backstageContainerName).WorkingDir
	if mp == "" {
		mp = defaultMountDir
	}
	if shared != "" {
		mp = shared
	}
	withSubPath := true
	if objectMountPath != "" {
		if filepath.IsAbs(objectMountPath) {
			mp = objectMountPath
		} else {
			mp = filepath.Join(mp, objectMountPath)
		}
		if key == "" {
			withSubPath = false
		}
	}
	return mp, withSubPath
}

func volumeSource(name string, secret bool) corev1.VolumeSource {
	if secret {
		return corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: name, DefaultMode: ptrTo(int32(420)), Optional: ptrTo(false)}}
	}
	return corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
		LocalObjectReference: corev1.LocalObjectReference{Name: name}, DefaultMode: ptrTo(int32(420)), Optional: ptrTo(false)}}
}

// mountFiles adds a volume for the object and mounts it into the containers: as a directory, or
// key by key with subPath (only `fileName` when set). A mount at the same path is replaced.
func (w *workload) mountFiles(cs []*corev1.Container, src corev1.VolumeSource, objectName, mountPath, fileName string, withSubPath bool, keys []string) {
	vol := toRFC1123Label(objectName)
	spec := w.podSpec()
	present := false
	for _, v := range spec.Volumes {
		present = present || v.Name == vol
	}
	if !present {
		spec.Volumes = append(spec.Volumes, corev1.Volume{Name: vol, VolumeSource: src})
	}
	var mounts []corev1.VolumeMount
	switch {
	case !withSubPath:
		mounts = []corev1.VolumeMount{{Name: vol, MountPath: mountPath}}
	case len(keys) > 0:
		for _, k := range keys {
			if fileName == "" || fileName == k {
				mounts = append(mounts, corev1.VolumeMount{Name: vol, MountPath: filepath.Join(mountPath, k), SubPath: k, ReadOnly: true})
			}
		}
	default:
		mounts = []corev1.VolumeMount{{Name: vol, MountPath: filepath.Join(mountPath, fileName), SubPath: fileName, ReadOnly: true}}
	}
	for _, c := range cs {
		c.VolumeMounts = replaceOrAppendMounts(c.VolumeMounts, mounts)
	}
}

func replaceOrAppendMounts(existing, add []corev1.VolumeMount) []corev1.VolumeMount {
	out := make([]corev1.VolumeMount, 0, len(existing)+len(add))
	used := make([]bool, len(add))
	for _, m := range existing {
		replaced := false
		for i, n := range add {
			if m.MountPath == n.MountPath {
				out, used[i], replaced = append(out, n), true, true
				break
			}
		}
		if !replaced {
			out = append(out, m)
		}
	}
	for i, n := range add {
		if !used[i] {
			out = append(out, n)
		}
	}
	return out
}

var (
	invalidLabelChars = regexp.MustCompile(`[^a-z0-9-]`)
	dashes            = regexp.MustCompile(`-+`)
)

// toRFC1123Label turns a ConfigMap or Secret name into a volume name, as the operator does.
func toRFC1123Label(s string) string {
	name := dashes.ReplaceAllString(invalidLabelChars.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if len(name) > 63 {
		name = name[:63]
	}
	return strings.Trim(name, "-")
}

func toUnstructured(obj runtime.Object) (*unstructured.Unstructured, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	delete(m, "status")
	unstructured.RemoveNestedField(m, "metadata", "creationTimestamp")
	unstructured.RemoveNestedField(m, "spec", "template", "metadata", "creationTimestamp")
	return &unstructured.Unstructured{Object: m}, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func ptrTo[T any](v T) *T { return &v }
