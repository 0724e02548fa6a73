package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
)

// Condition type and reasons of the RHDH operator's Backstage status.
const (
	conditionDeployed = "Deployed"
	reasonDeployed    = "Deployed"
	reasonFailed      = "DeployFailed"
	reasonInProgress  = "DeployInProgress"
)

func everything() labels.Selector { return labels.Everything() }

// deployedCondition: failed when the reconcile failed, else True once the workload's ready
// replicas equal its replicas (the operator's own test), else in progress.
func (c *Controller) deployedCondition(ns, name, kind string, err error) metav1.Condition {
	cond := metav1.Condition{Type: conditionDeployed, Status: metav1.ConditionFalse}
	if err != nil {
		cond.Reason, cond.Message = reasonFailed, err.Error()
		return cond
	}
	live := c.live(kind, ns, workloadName(name))
	if live == nil {
		cond.Reason, cond.Message = reasonInProgress, "waiting for the "+kind
		return cond
	}
	replicas, _, _ := unstructured.NestedInt64(live.Object, "status", "replicas")
	ready, _, _ := unstructured.NestedInt64(live.Object, "status", "readyReplicas")
	if ready == replicas {
		cond.Status, cond.Reason = metav1.ConditionTrue, reasonDeployed
		return cond
	}
	cond.Reason = reasonInProgress
	cond.Message = fmt.Sprintf("%s status: %d of %d replicas ready", kind, ready, replicas)
	return cond
}

// setStatus writes the Deployed condition through the status subresource when it differs from
// the live one (type, status, reason, message); returns whether it wrote.
func (c *Controller) setStatus(ctx context.Context, cr *unstructured.Unstructured, cond metav1.Condition) (bool, error) {
	existing, _, _ := unstructured.NestedSlice(cr.Object, "status", "conditions")
	var conditions []any
	now := time.Now().UTC().Format(time.RFC3339)
	transition := now
	for _, e := range existing {
		m, ok := e.(map[string]any)
		if !ok || m["type"] != cond.Type {
			conditions = append(conditions, e)
			continue
		}
		if m["status"] == string(cond.Status) && m["reason"] == cond.Reason && m["message"] == cond.Message {
			return false, nil
		}
		if m["status"] == string(cond.Status) {
			if t, ok := m["lastTransitionTime"].(string); ok {
				transition = t
			}
		}
	}
	conditions = append(conditions, map[string]any{
		"type": cond.Type, "status": string(cond.Status), "reason": cond.Reason,
		"message": cond.Message, "lastTransitionTime": transition,
	})
	patch, err := json.Marshal(map[string]any{"status": map[string]any{"conditions": conditions}})
	if err != nil {
		return false, err
	}
	_, err = c.dyn.Resource(c.bsGVR).Namespace(cr.GetNamespace()).
		Patch(ctx, cr.GetName(), types.MergePatchType, patch, metav1.PatchOptions{FieldManager: FieldManager}, "status")
	return err == nil, err
}
