package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log"
	"strconv"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// FieldManager is the field manager of the RHDH operator's server-side applies
// (BackstageFieldManager in its controller).
const FieldManager = "backstage-controller"

var (
	configMapsGVR   = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	secretsGVR      = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}
	servicesGVR     = schema.GroupVersionResource{Version: "v1", Resource: "services"}
	deploymentsGVR  = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	statefulSetsGVR = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "statefulsets"}
)

var kindGVR = map[string]schema.GroupVersionResource{
	"ConfigMap": configMapsGVR, "Secret": secretsGVR, "Service": servicesGVR,
	"Deployment": deploymentsGVR, "StatefulSet": statefulSetsGVR,
}

// appliedState remembers what this process last applied to one object.
type appliedState struct {
	hash            string
	resourceVersion string
	generation      int64
}

// Controller reconciles Backstage CRs into their workload, Service and dynamic plugins ConfigMap.
type Controller struct {
	profile *Profile
	dyn     dynamic.Interface
	bsGVR   schema.GroupVersionResource
	queue   workqueue.TypedRateLimitingInterface[string]

	factories []dynamicinformer.DynamicSharedInformerFactory
	crs       cache.GenericLister
	external  map[string]cache.GenericLister // ConfigMap/Secret labelled ext-config-sync=true
	owned     map[string]cache.GenericLister // objects labelled app.kubernetes.io/name=backstage

	mu      sync.Mutex
	applied map[string]appliedState
}

// NewController wires the informers: Backstage CRs (resynced every `resync`), the external
// ConfigMaps/Secrets the operator labelled, and the objects it owns.
func NewController(dyn dynamic.Interface, p *Profile, bsGVR schema.GroupVersionResource, resync time.Duration) *Controller {
	c := &Controller{
		profile: p, dyn: dyn, bsGVR: bsGVR,
		queue: workqueue.NewTypedRateLimitingQueue(workqueue.NewTypedMaxOfRateLimiter(
			workqueue.NewTypedItemExponentialFailureRateLimiter[string](500*time.Millisecond, 30*time.Second),
		)),
		external: map[string]cache.GenericLister{},
		owned:    map[string]cache.GenericLister{},
		applied:  map[string]appliedState{},
	}
	crFactory := dynamicinformer.NewDynamicSharedInformerFactory(dyn, resync)
	extFactory := filteredFactory(dyn, extConfigSyncLabel+"=true")
	ownedFactory := filteredFactory(dyn, kubeNameLabel+"="+kubeNameValue)
	c.factories = []dynamicinformer.DynamicSharedInformerFactory{crFactory, extFactory, ownedFactory}

	crInformer := crFactory.ForResource(bsGVR)
	c.crs = crInformer.Lister()
	crInformer.Informer().AddEventHandler(handler(func(o metav1.Object) { c.enqueue(o.GetNamespace(), o.GetName()) }))

	for kind, gvr := range map[string]schema.GroupVersionResource{"ConfigMap": configMapsGVR, "Secret": secretsGVR} {
		inf := extFactory.ForResource(gvr)
		c.external[kind] = inf.Lister()
		inf.Informer().AddEventHandler(handler(c.enqueueNamespace))
	}
	for _, kind := range []string{"ConfigMap", "Service", "Deployment", "StatefulSet"} {
		inf := ownedFactory.ForResource(kindGVR[kind])
		c.owned[kind] = inf.Lister()
		inf.Informer().AddEventHandler(handler(c.enqueueOwner))
	}
	return c
}

func filteredFactory(dyn dynamic.Interface, selector string) dynamicinformer.DynamicSharedInformerFactory {
	return dynamicinformer.NewFilteredDynamicSharedInformerFactory(dyn, 0, metav1.NamespaceAll,
		func(o *metav1.ListOptions) { o.LabelSelector = selector })
}

func handler(f func(metav1.Object)) cache.ResourceEventHandlerFuncs {
	call := func(obj any) {
		if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = t.Obj
		}
		if m, err := meta.Accessor(obj); err == nil {
			f(m)
		}
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc: call, DeleteFunc: call, UpdateFunc: func(_, obj any) { call(obj) },
	}
}

func (c *Controller) enqueue(ns, name string) { c.queue.Add(ns + "/" + name) }

// enqueueOwner reconciles the CR that owns a changed object: by its controller reference, or
// by its app.kubernetes.io/instance label (what the real operator goes by) when it has none.
func (c *Controller) enqueueOwner(o metav1.Object) {
	for _, ref := range o.GetOwnerReferences() {
		if ref.Kind == "Backstage" && ref.Controller != nil && *ref.Controller {
			c.enqueue(o.GetNamespace(), ref.Name)
			return
		}
	}
	if name := o.GetLabels()[kubeInstanceLabel]; name != "" {
		c.enqueue(o.GetNamespace(), name)
	}
}

// enqueueNamespace reconciles every Backstage CR of the namespace of a changed external object
// (the real operator goes by the object's backstage-name annotation; this also covers a
// ConfigMap that several CRs share).
func (c *Controller) enqueueNamespace(o metav1.Object) {
	objs, err := c.crs.ByNamespace(o.GetNamespace()).List(everything())
	if err != nil {
		return
	}
	for _, cr := range objs {
		if m, err := meta.Accessor(cr); err == nil {
			c.enqueue(m.GetNamespace(), m.GetName())
		}
	}
}

// Run starts the informers and one worker, and blocks until ctx ends.
func (c *Controller) Run(ctx context.Context) error {
	for _, f := range c.factories {
		f.Start(ctx.Done())
	}
	for _, f := range c.factories {
		for gvr, ok := range f.WaitForCacheSync(ctx.Done()) {
			if !ok {
				return fmt.Errorf("cache of %s did not sync", gvr.Resource)
			}
		}
	}
	log.Printf("caches synced; watching %s", c.bsGVR.GroupResource().String()+"/"+c.bsGVR.Version)
	go func() {
		<-ctx.Done()
		c.queue.ShutDown()
	}()
	for c.processNext(ctx) {
	}
	return nil
}

func (c *Controller) processNext(ctx context.Context) bool {
	key, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(key)
	if err := c.reconcile(ctx, key); err != nil {
		log.Printf("reconcile %s failed (retrying): %v", key, err)
		c.queue.AddRateLimited(key)
		return true
	}
	c.queue.Forget(key)
	return true
}

func (c *Controller) reconcile(ctx context.Context, key string) error {
	ns, name, _ := strings.Cut(key, "/")
	obj, err := c.crs.ByNamespace(ns).Get(name)
	if apierrors.IsNotFound(err) {
		c.forget(ns, name)
		return nil
	}
	if err != nil {
		return err
	}
	cr := obj.(*unstructured.Unstructured)
	var actions []string
	defer func() {
		if len(actions) > 0 {
			log.Printf("reconciled %s: %s", key, strings.Join(actions, ", "))
		}
	}()
	workloadKind, err := c.apply(ctx, cr, &actions)
	cond := c.deployedCondition(ns, name, workloadKind, err)
	if wrote, serr := c.setStatus(ctx, cr, cond); serr != nil {
		log.Printf("status of %s: %v", key, serr)
	} else if wrote {
		actions = append(actions, fmt.Sprintf("status Deployed=%s (%s)", cond.Status, cond.Reason))
	}
	return err
}

// apply renders the CR and applies what differs; returns the workload kind.
func (c *Controller) apply(ctx context.Context, cr *unstructured.Unstructured, actions *[]string) (string, error) {
	bs, err := parseBackstage(cr)
	if err != nil {
		return "", err
	}
	ext, err := c.externalConfig(ctx, bs, actions)
	if err != nil {
		return "", fmt.Errorf("failed to preprocess backstage spec: %w", err)
	}
	objs, err := Render(c.profile, bs, ext)
	if err != nil {
		return "", fmt.Errorf("failed to initialize backstage model: %w", err)
	}
	kind := ""
	for _, o := range objs {
		reason, err := c.applyObject(ctx, o)
		if err != nil {
			return "", fmt.Errorf("failed to apply backstage objects: %w", err)
		}
		if reason != "" {
			*actions = append(*actions, fmt.Sprintf("applied %s %s (%s)", o.GetKind(), o.GetName(), reason))
		}
		kind = o.GetKind()
	}
	return kind, c.removeOtherWorkload(ctx, bs, kind, actions)
}

// removeOtherWorkload deletes the workload of the other kind after spec.deployment.kind changed.
func (c *Controller) removeOtherWorkload(ctx context.Context, bs *Backstage, kind string, actions *[]string) error {
	other := map[string]string{"Deployment": "StatefulSet", "StatefulSet": "Deployment"}[kind]
	live := c.live(other, bs.Namespace, workloadName(bs.Name))
	if live == nil || !ownedBy(live, bs.UID) {
		return nil
	}
	err := c.dyn.Resource(kindGVR[other]).Namespace(bs.Namespace).Delete(ctx, live.GetName(), metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	*actions = append(*actions, fmt.Sprintf("deleted %s %s (kind is now %s)", other, live.GetName(), kind))
	return nil
}

func ownedBy(o *unstructured.Unstructured, uid types.UID) bool {
	for _, ref := range o.GetOwnerReferences() {
		if ref.UID == uid {
			return true
		}
	}
	return false
}

func (c *Controller) live(kind, ns, name string) *unstructured.Unstructured {
	lister, ok := c.owned[kind]
	if !ok {
		return nil
	}
	obj, err := lister.ByNamespace(ns).Get(name)
	if err != nil {
		return nil
	}
	return obj.(*unstructured.Unstructured)
}

// applyObject server-side applies (force) one object when it differs from what this process
// last applied, or when the live object shows another writer; returns why it applied, or "".
func (c *Controller) applyObject(ctx context.Context, desired *unstructured.Unstructured) (string, error) {
	kind, ns, name := desired.GetKind(), desired.GetNamespace(), desired.GetName()
	raw, err := json.Marshal(desired.Object)
	if err != nil {
		return "", err
	}
	hash := fmt.Sprintf("%x", sha256.Sum256(raw))
	key := kind + "/" + ns + "/" + name
	c.mu.Lock()
	state, known := c.applied[key]
	c.mu.Unlock()
	reason := needsApply(kind, hash, state, known, desired, c.live(kind, ns, name))
	if reason == "" {
		return "", nil
	}
	res, err := c.dyn.Resource(kindGVR[kind]).Namespace(ns).Apply(ctx, name, desired,
		metav1.ApplyOptions{FieldManager: FieldManager, Force: true})
	if err != nil {
		return "", fmt.Errorf("apply %s %s: %w", kind, name, err)
	}
	c.mu.Lock()
	c.applied[key] = appliedState{hash: hash, resourceVersion: res.GetResourceVersion(), generation: res.GetGeneration()}
	c.mu.Unlock()
	return reason, nil
}

// needsApply decides whether to send an apply. Workloads change resourceVersion with every status
// update, so for them a spec change by someone else shows as a newer generation; other objects
// are compared by resourceVersion. An informer cache older than the last apply is not a change.
func needsApply(kind, hash string, state appliedState, known bool, desired, live *unstructured.Unstructured) string {
	switch {
	case live == nil:
		return "missing"
	case !known:
		return "not applied by this process yet"
	case state.hash != hash:
		return "spec changed"
	case kind == "Deployment" || kind == "StatefulSet":
		if live.GetGeneration() > state.generation {
			return "changed by another client"
		}
		if live.GetGeneration() == state.generation &&
			(!subset(desired.GetLabels(), live.GetLabels()) || !subset(desired.GetAnnotations(), live.GetAnnotations())) {
			return "metadata changed by another client"
		}
	default:
		if rvNewer(live.GetResourceVersion(), state.resourceVersion) {
			return "changed by another client"
		}
	}
	return ""
}

func subset(want, have map[string]string) bool {
	for k, v := range want {
		if hv, ok := have[k]; !ok || hv != v {
			return false
		}
	}
	return true
}

// rvNewer compares resourceVersions numerically (etcd revisions); unparsable ones differ if unequal.
func rvNewer(live, applied string) bool {
	l, err1 := strconv.ParseUint(live, 10, 64)
	a, err2 := strconv.ParseUint(applied, 10, 64)
	if err1 != nil || err2 != nil {
		return live != applied
	}
	return l > a
}

func (c *Controller) forget(ns, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, key := range []string{
		"ConfigMap/" + ns + "/" + pluginsConfigMapName(name),
		"Service/" + ns + "/" + workloadName(name),
		"Deployment/" + ns + "/" + workloadName(name),
		"StatefulSet/" + ns + "/" + workloadName(name),
	} {
		delete(c.applied, key)
	}
}

// externalConfig reads the ConfigMaps and Secrets the CR refers to, labels them for watching
// (merge patch, only when the label or annotation is missing) and hashes their data in the
// operator's order: app-configs, extra env ConfigMaps, extra env Secrets, dynamic plugins.
func (c *Controller) externalConfig(ctx context.Context, bs *Backstage, actions *[]string) (ExternalConfig, error) {
	ext := ExternalConfig{AppConfigKeys: map[string][]string{}}
	app := bs.app()
	var hashing []byte
	add := func(kind, name string, watch bool) (*unstructured.Unstructured, error) {
		obj, err := c.getExternal(ctx, kind, bs.Namespace, name)
		if err != nil {
			return nil, fmt.Errorf("failed to get external config from %s: %w", name, err)
		}
		if !watch {
			return obj, nil
		}
		if err := c.ensureWatched(ctx, obj, bs.Name, actions); err != nil {
			return nil, err
		}
		hashing = append(hashing, objectData(obj)...)
		return obj, nil
	}
	if app.AppConfig != nil {
		for _, ref := range app.AppConfig.ConfigMaps {
			cm, err := add("ConfigMap", ref.Name, ref.MountPath == "" || ref.Key != "")
			if err != nil {
				return ext, err
			}
			data, _, _ := unstructured.NestedStringMap(cm.Object, "data")
			ext.AppConfigKeys[ref.Name] = sortedKeys(data)
		}
	}
	if env := app.ExtraEnvs; env != nil {
		for _, ref := range env.ConfigMaps {
			if _, err := add("ConfigMap", ref.Name, true); err != nil {
				return ext, err
			}
		}
		for _, ref := range env.Secrets {
			if _, err := add("Secret", ref.Name, true); err != nil {
				return ext, err
			}
		}
	}
	if name := app.DynamicPluginsConfigMapName; name != "" {
		cm, err := add("ConfigMap", name, true)
		if err != nil {
			return ext, err
		}
		data, _, _ := unstructured.NestedString(cm.Object, "data", dynamicPluginsKey)
		if data == "" {
			return ext, fmt.Errorf("dynamic plugin configMap expects '%s' Data key", dynamicPluginsKey)
		}
		ext.DynamicPlugins = data
	}
	ext.Hash = fmt.Sprintf("%x", sha256.Sum256(hashing))
	return ext, nil
}

func (c *Controller) getExternal(ctx context.Context, kind, ns, name string) (*unstructured.Unstructured, error) {
	if obj, err := c.external[kind].ByNamespace(ns).Get(name); err == nil {
		return obj.(*unstructured.Unstructured), nil
	}
	return c.dyn.Resource(kindGVR[kind]).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
}

func (c *Controller) ensureWatched(ctx context.Context, obj *unstructured.Unstructured, bsName string, actions *[]string) error {
	if obj.GetLabels()[extConfigSyncLabel] == "true" && obj.GetAnnotations()[backstageNameAnnotation] != "" {
		return nil
	}
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{
		"labels":      map[string]string{extConfigSyncLabel: "true"},
		"annotations": map[string]string{backstageNameAnnotation: bsName},
	}})
	_, err := c.dyn.Resource(kindGVR[obj.GetKind()]).Namespace(obj.GetNamespace()).
		Patch(ctx, obj.GetName(), types.MergePatchType, patch, metav1.PatchOptions{FieldManager: FieldManager})
	if err != nil {
		return fmt.Errorf("label %s %s: %w", obj.GetKind(), obj.GetName(), err)
	}
	*actions = append(*actions, fmt.Sprintf("labelled %s %s %s=true", obj.GetKind(), obj.GetName(), extConfigSyncLabel))
	return nil
}

// objectData concatenates an object's data as the operator hashes it: string data key+value in
// key order, then binary data key+bytes (a Secret read from the server has only binary data).
func objectData(obj *unstructured.Unstructured) []byte {
	var out []byte
	stringData, binaryField := map[string]string{}, "binaryData"
	if obj.GetKind() == "Secret" {
		binaryField = "data"
	} else {
		stringData, _, _ = unstructured.NestedStringMap(obj.Object, "data")
	}
	for _, k := range sortedKeys(stringData) {
		out = append(out, k+stringData[k]...)
	}
	binary, _, _ := unstructured.NestedStringMap(obj.Object, binaryField)
	for _, k := range sortedKeys(binary) {
		b, err := base64.StdEncoding.DecodeString(binary[k])
		if err != nil {
			b = []byte(binary[k])
		}
		out = append(append(out, k...), b...)
	}
	return out
}
