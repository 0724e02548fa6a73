package main

import (
	"fmt"

	"sigs.k8s.io/yaml"
)

// dynamicPluginsFile is the content of a dynamic-plugins.yaml key.
type dynamicPluginsFile struct {
	Includes []string         `json:"includes,omitempty"`
	Plugins  []map[string]any `json:"plugins,omitempty"`
}

// mergeDynamicPlugins merges the user's dynamic-plugins.yaml into the operator's default, as the
// RHDH operator does since 1.8: plugin entries are matched by their exact `package` string; for a
// match the user's top-level fields replace the default's and `disabled` takes the user's value
// (false when the user leaves it out); other user entries are appended; includes are united.
// Unlike the real operator (which goes through a Go map) the order is kept: defaults first.
func mergeDynamicPlugins(defaults, user string) (string, error) {
	var base, spec dynamicPluginsFile
	if err := yaml.Unmarshal([]byte(defaults), &base); err != nil {
		return "", fmt.Errorf("default dynamic plugins: %w", err)
	}
	if err := yaml.Unmarshal([]byte(user), &spec); err != nil {
		return "", fmt.Errorf("user dynamic plugins: %w", err)
	}
	merged := dynamicPluginsFile{Includes: unite(base.Includes, spec.Includes)}
	index := map[string]int{}
	for _, p := range base.Plugins {
		index[packageOf(p)] = len(merged.Plugins)
		merged.Plugins = append(merged.Plugins, withDisabled(p))
	}
	for _, p := range spec.Plugins {
		i, found := index[packageOf(p)]
		if !found {
			index[packageOf(p)] = len(merged.Plugins)
			merged.Plugins = append(merged.Plugins, withDisabled(p))
			continue
		}
		entry := merged.Plugins[i]
		for k, v := range p {
			if v != nil {
				entry[k] = v
			}
		}
		entry["disabled"] = p["disabled"] == true
	}
	out, err := yaml.Marshal(merged)
	if err != nil {
		return "", fmt.Errorf("marshal merged dynamic plugins: %w", err)
	}
	return string(out), nil
}

func packageOf(p map[string]any) string {
	s, _ := p["package"].(string)
	return s
}

// withDisabled copies an entry and makes `disabled` explicit, as the operator's output does.
func withDisabled(p map[string]any) map[string]any {
	out := make(map[string]any, len(p)+1)
	for k, v := range p {
		out[k] = v
	}
	out["disabled"] = p["disabled"] == true
	return out
}

func unite(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range append(append([]string{}, a...), b...) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
