#!/usr/bin/env bash
# Builds the testbed's binaries from the official Go modules into a cache outside
# the repository, one folder per pinned version, so a second run is a no-op.
#   kube-apiserver, kube-controller-manager, kube-scheduler, kubectl  (k8s.io/kubernetes)
#   etcd                                                              (go.etcd.io/etcd/server/v3)
#   kwok, kwokctl                                                     (sigs.k8s.io/kwok)
#   rhdh-operator-standin                                             (testbed/standin, this repo)
# Prints the bin folder on its last line.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=/dev/null
. "$here/versions.env"
cache=${RHDH_TESTBED_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rhdh-ai-connector/testbed}
export GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0

step() { # step NAME OUTPUT-PATH COMMAND...: runs COMMAND unless OUTPUT-PATH exists, timing it
  local name=$1 out=$2; shift 2
  if [ -x "$out" ]; then echo "testbed: $name: cached ($out)" >&2; return; fi
  local t0=$SECONDS
  echo "testbed: $name: building..." >&2
  local rc=0
  "$@" >&2 || rc=$?
  if [ "$rc" -ne 0 ]; then echo "testbed: $name: failed (exit $rc)" >&2; return "$rc"; fi
  echo "testbed: $name: built in $((SECONDS - t0)) s" >&2
}

build_kubernetes() {
  local dir=$cache/src/kubernetes-$K8S_VERSION out=$1
  mkdir -p "$dir" "$out"
  local minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
  local staging=v0.${K8S_VERSION#v1.}
  # The k8s.io/kubernetes module replaces its staging modules with local paths, so it
  # cannot be required as is. Derive the staging list from the tag's own go.mod and pin
  # each one to its published version instead.
  local gomod
  gomod=$(cd "$dir" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')
  {
    echo "module rhdh-ai-connector/testbed/kubernetes"
    echo
    echo "go 1.24.0"
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    echo "replace ("
    sed -n 's#^\s*\(k8s\.io/[a-z0-9-]*\) => \./staging/src/k8s\.io/.*#\t\1 => \1 '"$staging"'#p' "$gomod"
    echo ")"
  } > "$dir/go.mod"
  printf 'package tools\n\nimport (\n\t_ "k8s.io/kubernetes/cmd/kube-apiserver"\n\t_ "k8s.io/kubernetes/cmd/kube-controller-manager"\n\t_ "k8s.io/kubernetes/cmd/kube-scheduler"\n\t_ "k8s.io/kubernetes/cmd/kubectl"\n)\n' > "$dir/tools.go"
  sed -i 's/^package tools/\/\/go:build tools\n\npackage tools/' "$dir/tools.go"
  local pkg=k8s.io/component-base/version cpkg=k8s.io/client-go/pkg/version
  local ld="-s -w -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean -X $cpkg.gitVersion=$K8S_VERSION -X $cpkg.gitMajor=1 -X $cpkg.gitMinor=$minor"
  (cd "$dir" && go mod tidy -e >/dev/null 2>&1 || true
   for cmd in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
     local t0=$SECONDS
     go build -trimpath -tags tools -ldflags "$ld" -o "$out/$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd"
     mv "$out/$cmd.tmp" "$out/$cmd"
     echo "testbed:   $cmd in $((SECONDS - t0)) s" >&2
   done)
}

build_etcd() {
  local dir=$cache/src/etcd-$ETCD_VERSION out=$1
  mkdir -p "$dir" "$out"
  cp "$here/etcd/main.go" "$dir/main.go"
  printf 'module rhdh-ai-connector/testbed/etcd\n\ngo 1.24.0\n\nrequire go.etcd.io/etcd/server/v3 %s\n' "$ETCD_VERSION" > "$dir/go.mod"
  (cd "$dir" && go mod tidy >/dev/null && go build -trimpath -ldflags "-s -w" -o "$out/etcd.tmp" . && mv "$out/etcd.tmp" "$out/etcd")
}

build_kwok() {
  local out=$1
  mkdir -p "$out"
  GOBIN="$out" GOFLAGS= go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" "sigs.k8s.io/kwok/cmd/kwokctl@$KWOK_VERSION"
}

build_standin() {
  local out=$1 dir=$cache/src/standin
  mkdir -p "$out" "$dir"
  (cd "$here/standin" && go build -trimpath -ldflags "-s -w" -o "$out/rhdh-operator-standin.tmp" . && mv "$out/rhdh-operator-standin.tmp" "$out/rhdh-operator-standin")
}

total0=$SECONDS
kbin=$cache/kubernetes-$K8S_VERSION/bin
ebin=$cache/etcd-$ETCD_VERSION/bin
wbin=$cache/kwok-$KWOK_VERSION/bin
step "kubernetes $K8S_VERSION" "$kbin/kubectl" build_kubernetes "$kbin"
step "etcd $ETCD_VERSION" "$ebin/etcd" build_etcd "$ebin"
step "kwok $KWOK_VERSION" "$wbin/kwokctl" build_kwok "$wbin"
bin=$cache/bin
mkdir -p "$bin"
sbin=
if [ -f "$here/standin/go.mod" ]; then
  # One folder per content of the stand-in's sources, so an edit rebuilds it.
  sum=$(cd "$here/standin" && find . -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' -o -name '*.yaml' \) \
    | LC_ALL=C sort | xargs cat | sha256sum | cut -c1-12)
  sbin=$cache/standin-$sum/bin
  # The clusters run without the stand-in: a failed build of it is reported, not fatal
  # (Cluster.start_operator names the log below).
  if ! step "rhdh-operator-standin" "$sbin/rhdh-operator-standin" build_standin "$sbin" 2>"$cache/standin-build.log"; then
    cat "$cache/standin-build.log" >&2
    echo "testbed: rhdh-operator-standin: BUILD FAILED, log: $cache/standin-build.log" >&2
    rm -f "$bin/rhdh-operator-standin"
    sbin=
  else
    cat "$cache/standin-build.log" >&2
  fi
fi
for f in "$kbin"/* "$ebin"/* "$wbin"/* ${sbin:+"$sbin"/*}; do [ -e "$f" ] && ln -sfn "$f" "$bin/$(basename "$f")"; done
echo "testbed: binaries ready in $((SECONDS - total0)) s" >&2
echo "$bin"
