package main

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"

	"sigs.k8s.io/yaml"
)

//go:embed default-config
var defaultConfig embed.FS

// Profile is the default configuration of one RHDH operator release.
type Profile struct {
	Name           string
	Deployment     string // default workload (deployment.yaml)
	DynamicPlugins string // default content of the dynamic-plugins.yaml key
	Flavours       []Flavour
}

// Flavour is a named variation merged into the default workload.
type Flavour struct {
	Name             string
	EnabledByDefault bool
	Deployment       string
}

// Profiles lists the profiles built into the binary.
func Profiles() []string {
	entries, _ := fs.ReadDir(defaultConfig, "default-config")
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names
}

// LoadProfile reads a profile from the embedded default-config folder.
func LoadProfile(name string) (*Profile, error) {
	dir := path.Join("default-config", name)
	if _, err := fs.Stat(defaultConfig, dir); err != nil {
		return nil, fmt.Errorf("unknown profile %q (known: %v)", name, Profiles())
	}
	p := &Profile{Name: name}
	var err error
	if p.Deployment, err = readString(path.Join(dir, "deployment.yaml")); err != nil {
		return nil, err
	}
	if p.DynamicPlugins, err = readString(path.Join(dir, "dynamic-plugins.yaml")); err != nil {
		return nil, err
	}
	p.Flavours, err = loadFlavours(path.Join(dir, "flavours"))
	return p, err
}

func loadFlavours(dir string) ([]Flavour, error) {
	entries, err := fs.ReadDir(defaultConfig, dir)
	if err != nil {
		return nil, nil // no flavours in this profile
	}
	var out []Flavour
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		f := Flavour{Name: e.Name()}
		if meta, err := readString(path.Join(dir, e.Name(), "metadata.yaml")); err == nil {
			var m struct {
				EnabledByDefault bool `json:"enabledByDefault"`
			}
			if err := yaml.Unmarshal([]byte(meta), &m); err != nil {
				return nil, fmt.Errorf("flavour %s metadata: %w", e.Name(), err)
			}
			f.EnabledByDefault = m.EnabledByDefault
		}
		if f.Deployment, err = readString(path.Join(dir, e.Name(), "deployment.yaml")); err != nil {
			f.Deployment = ""
		}
		out = append(out, f)
	}
	return out, nil
}

func readString(name string) (string, error) {
	b, err := defaultConfig.ReadFile(name)
	if err != nil {
		return "", fmt.Errorf("default config: %w", err)
	}
	return string(b), nil
}
