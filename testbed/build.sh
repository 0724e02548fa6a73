#!/usr/bin/env bash
# Builds the testbed's binaries from the official Go modules into a cache outside
# the repository, one folder per pinned version, so a second run is a no-op.
#   kube-apiserver, kube-controller-manager, kube-scheduler, kubectl  (k8s.io/kubernetes)
#   etcd                                                              (go.etcd.io/etcd/server/v3)
#   kwok, kwokctl                                                     (sigs.k8s.io/kwok)
#   helm                                                              (helm.sh/helm/v3)
#   rhdh-operator-1.8, -1.10, -2.0          (github.com/redhat-developer/rhdh-operator, see below)
# Prints the bin folder on its last line.
#
# The RHDH operator's source comes from the folder named by RHDH_OPERATOR_SRC (holding 1.8/,
# 1.10/ and 2.0/, each the operator's main module at the pinned commit), or else from the Go module at the
# pinned commit where a module proxy serves it. An operator that cannot be built is reported, not
# fatal: the clusters run without it, and the tests that need it fail naming what is missing
# (Cluster.start_operator reads rhdh-operator-<version>.missing).
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

build_helm() {
  local out=$1
  mkdir -p "$out"
  GOBIN="$out" GOFLAGS= go install -trimpath -ldflags "-s -w" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
}

operator_source() { # VERSION COMMIT: prints the operator's source folder, or says why there is none
  local version=$1 commit=$2
  if [ -n "${RHDH_OPERATOR_SRC:-}" ]; then
    if [ -f "$RHDH_OPERATOR_SRC/$version/go.mod" ]; then echo "$RHDH_OPERATOR_SRC/$version"; return; fi
    echo "RHDH_OPERATOR_SRC=$RHDH_OPERATOR_SRC holds no $version/go.mod" >&2
    return 1
  fi
  local json
  if ! json=$(cd "$cache" && GOFLAGS= go mod download -json "github.com/redhat-developer/rhdh-operator@$commit" 2>&1); then
    echo "the Go module github.com/redhat-developer/rhdh-operator@$commit could not be downloaded ($(echo "$json" | tr '\n' ' ' | cut -c1-300)) and RHDH_OPERATOR_SRC is not set; set it to a folder holding $version/ (the operator's source at commit $commit)" >&2
    return 1
  fi
  echo "$json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])'
}

build_operator() { # OUT-DIR VERSION SOURCE: the binary in OUT-DIR/bin, its runtime files beside it
  local out=$1 version=$2 src=$3
  mkdir -p "$out/bin" "$out/config"
  # The source folder may be read-only (a module cache, a shared copy): the build writes only
  # to Go's own caches and to OUT-DIR.
  (cd "$src" && GOFLAGS=-mod=readonly go build -trimpath -ldflags "-s -w" -o "$out/bin/rhdh-operator-$version.tmp" ./cmd/)
  rm -rf "$out/config/default-config" "$out/config/plugin-deps"
  cp -r "$src/config/profile/rhdh/default-config" "$out/config/"
  if [ -d "$src/config/profile/rhdh/plugin-deps" ]; then cp -r "$src/config/profile/rhdh/plugin-deps" "$out/config/"; fi
  cp "$src/config/crd/bases/rhdh.redhat.com_backstages.yaml" "$out/config/backstages.crd.yaml"
  chmod -R u+w "$out/config"
  mv "$out/bin/rhdh-operator-$version.tmp" "$out/bin/rhdh-operator-$version"
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
hbin=$cache/helm-$HELM_VERSION/bin
step "helm $HELM_VERSION" "$hbin/helm" build_helm "$hbin"
obins=()
for version in 1.8 1.10 2.0; do
  var=RHDH_OPERATOR_${version//./_}_COMMIT
  commit=${!var}
  odir=$cache/rhdh-operator-$version-${commit:0:12}
  missing=$cache/rhdh-operator-$version.missing
  rm -f "$missing" "$bin/rhdh-operator-$version"
  if [ ! -x "$odir/bin/rhdh-operator-$version" ]; then
    if ! src=$(operator_source "$version" "$commit" 2>"$missing.tmp"); then
      mv "$missing.tmp" "$missing"
      echo "testbed: rhdh-operator $version: NOT BUILT: $(cat "$missing")" >&2
      continue
    fi
    rm -f "$missing.tmp"
    if ! step "rhdh-operator $version ($commit)" "$odir/bin/rhdh-operator-$version" build_operator "$odir" "$version" "$src" 2>"$missing.tmp"; then
      cat "$missing.tmp" >&2
      { echo "the build of rhdh-operator $version from $src failed:"; tail -20 "$missing.tmp"; } > "$missing"
      rm -f "$missing.tmp"
      echo "testbed: rhdh-operator $version: BUILD FAILED (see $missing)" >&2
      continue
    fi
    cat "$missing.tmp" >&2
    rm -f "$missing.tmp"
  else
    echo "testbed: rhdh-operator $version: cached ($odir/bin/rhdh-operator-$version)" >&2
  fi
  obins+=("$odir/bin/rhdh-operator-$version")
done
rm -f "$bin/rhdh-operator-standin"
for f in "$kbin"/* "$ebin"/* "$wbin"/* "$hbin"/* ${obins[@]+"${obins[@]}"}; do [ -e "$f" ] && ln -sfn "$f" "$bin/$(basename "$f")"; done
echo "testbed: binaries ready in $((SECONDS - total0)) s" >&2
echo "$bin"
