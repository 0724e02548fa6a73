// Command rhdh-operator-standin is the testbed's stand-in for the RHDH operator: it reconciles
// backstages.rhdh.redhat.com CRs into the objects the real operator renders (workload, Service,
// dynamic plugins ConfigMap), merging spec.deployment.patch with kustomize's kyaml like it does.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

const (
	userAgent = "rhdh-operator-standin"
	group     = "rhdh.redhat.com"
)

func main() {
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	log.SetPrefix(userAgent + " ")
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	kubeconfig := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "path of the kubeconfig")
	profile := flag.String("profile", "", fmt.Sprintf("operator release to mimic: %v", Profiles()))
	resync := flag.Duration("resync", 60*time.Second, "period of full reconciles")
	flag.Parse()
	if *kubeconfig == "" || *profile == "" {
		flag.Usage()
		return errors.New("--kubeconfig and --profile are required")
	}
	p, err := LoadProfile(*profile)
	if err != nil {
		return err
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		return fmt.Errorf("kubeconfig: %w", err)
	}
	cfg.UserAgent = userAgent
	cfg.QPS, cfg.Burst = 20, 40

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	version, err := waitForPreferredVersion(ctx, cfg)
	if err != nil {
		return err
	}
	gvr := schema.GroupVersionResource{Group: group, Version: version, Resource: "backstages"}
	log.Printf("profile %s: reconciling %s.%s/%s (the group's preferred version), field manager %s",
		p.Name, gvr.Resource, group, version, FieldManager)
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	return NewController(dyn, p, gvr, *resync).Run(ctx)
}

// waitForPreferredVersion asks discovery for the preferred version of rhdh.redhat.com (the API
// server's pick: the highest-priority served version), retrying until the CRD is there.
func waitForPreferredVersion(ctx context.Context, cfg *rest.Config) (string, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return "", err
	}
	waiting := false
	for {
		groups, err := dc.ServerGroups()
		if err == nil {
			for _, g := range groups.Groups {
				if g.Name == group && g.PreferredVersion.Version != "" {
					return g.PreferredVersion.Version, nil
				}
			}
		}
		if !waiting {
			log.Printf("waiting for API group %s (err: %v)", group, err)
			waiting = true
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
}
