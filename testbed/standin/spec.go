package main

import (
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

// Backstage is the part of a backstages.rhdh.redhat.com object the stand-in reads. The field
// names are those of v1alpha4/v1alpha5 (the storage versions of RHDH 1.8 and 1.9/1.10).
type Backstage struct {
	APIVersion string
	Name       string
	Namespace  string
	UID        types.UID
	Spec       BackstageSpec
}

type BackstageSpec struct {
	Application *Application    `json:"application,omitempty"`
	Deployment  *DeploymentSpec `json:"deployment,omitempty"`
	Flavours    *[]FlavourSpec  `json:"flavours,omitempty"`
}

type Application struct {
	AppConfig                   *AppConfig `json:"appConfig,omitempty"`
	DynamicPluginsConfigMapName string     `json:"dynamicPluginsConfigMapName,omitempty"`
	ExtraEnvs                   *ExtraEnvs `json:"extraEnvs,omitempty"`
	Replicas                    *int32     `json:"replicas,omitempty"`
	Image                       *string    `json:"image,omitempty"`
	ImagePullSecrets            []string   `json:"imagePullSecrets,omitempty"`
}

type AppConfig struct {
	MountPath  string          `json:"mountPath,omitempty"`
	ConfigMaps []FileObjectRef `json:"configMaps,omitempty"`
}

// FileObjectRef is an entry of appConfig.configMaps.
type FileObjectRef struct {
	Name       string   `json:"name"`
	Key        string   `json:"key,omitempty"`
	MountPath  string   `json:"mountPath,omitempty"`
	Containers []string `json:"containers,omitempty"`
}

type ExtraEnvs struct {
	ConfigMaps []EnvObjectRef `json:"configMaps,omitempty"`
	Secrets    []EnvObjectRef `json:"secrets,omitempty"`
	Envs       []Env          `json:"envs,omitempty"`
}

// EnvObjectRef is an entry of extraEnvs.configMaps / extraEnvs.secrets.
type EnvObjectRef struct {
	Name       string   `json:"name"`
	Key        string   `json:"key,omitempty"`
	Containers []string `json:"containers,omitempty"`
}

type Env struct {
	Name       string   `json:"name"`
	Value      string   `json:"value"`
	Containers []string `json:"containers,omitempty"`
}

type DeploymentSpec struct {
	Kind  string          `json:"kind,omitempty"`
	Patch json.RawMessage `json:"patch,omitempty"`
}

type FlavourSpec struct {
	Name    string `json:"name"`
	Enabled *bool  `json:"enabled,omitempty"`
}

// parseBackstage reads a Backstage CR as served through the storage version.
func parseBackstage(u *unstructured.Unstructured) (*Backstage, error) {
	bs := &Backstage{APIVersion: u.GetAPIVersion(), Name: u.GetName(), Namespace: u.GetNamespace(), UID: u.GetUID()}
	spec, ok := u.Object["spec"]
	if !ok || spec == nil {
		return bs, nil
	}
	raw, err := json.Marshal(spec)
	if err != nil {
		return nil, fmt.Errorf("marshal spec: %w", err)
	}
	if err := json.Unmarshal(raw, &bs.Spec); err != nil {
		return nil, fmt.Errorf("spec of %s/%s: %w", bs.Namespace, bs.Name, err)
	}
	return bs, nil
}

func (b *Backstage) app() *Application {
	if b.Spec.Application == nil {
		return &Application{}
	}
	return b.Spec.Application
}
