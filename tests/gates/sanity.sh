#!/usr/bin/env bash
# Gate: `ansible-test sanity` with no ignore file, on exactly what the collection ships (the built
# tarball, unpacked under ${XDG_CACHE_HOME:-~/.cache}/rhdh-ai-connector/sanity/core<series>/
# ansible_collections/rhdh/ai_connector: outside this git checkout, where ansible-test would only see
# git's file list, in which the unpacked copy is ignored), locally
# (no --docker/--venv: no network needed once the venv exists), with Python 3.11.
#   tests/gates/sanity.sh 2.19     ansible-core 2.19 (the one in .venv)
#   tests/gates/sanity.sh 2.16     ansible-core 2.16 (what AAP 2.5 runs)
# Extra arguments go to ansible-test, e.g. `tests/gates/sanity.sh 2.19 --test pylint`.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
series=${1:?usage: sanity.sh 2.19|2.16 [ansible-test args]}
shift
venv=$("$root/tests/gates/sanity_venv.sh" "$series")
work=${XDG_CACHE_HOME:-$HOME/.cache}/rhdh-ai-connector/sanity/core${series/./}
tree=$work/ansible_collections/rhdh/ai_connector
rm -rf "$work"
mkdir -p "$work/build" "$tree"
export PATH="$venv/bin:$PATH"
export ANSIBLE_NOCOLOR=1
unset ANSIBLE_COLLECTIONS_PATH ANSIBLE_COLLECTIONS_PATHS
(cd "$root" && ansible-galaxy collection build --force --output-path "$work/build" >/dev/null)
tar -xzf "$work"/build/rhdh-ai_connector-*.tar.gz -C "$tree"
# ansible-test finds other collections beside the one under test: kubernetes.core comes from the
# `ansible` package of this venv.
k8s=$("$venv/bin/python" -c 'import ansible_collections.kubernetes.core as m; print(list(m.__path__)[0])')
mkdir -p "$work/ansible_collections/kubernetes"
ln -s "$k8s" "$work/ansible_collections/kubernetes/core"
# ansible-test bootstraps pip into the per-test venvs it makes with a get-pip script from its own
# file server (unreachable here); it reads it from ~/.ansible/test/cache when present. Put the
# stand-in there with the pip wheel (from PyPI) of the version this ansible-test wants.
pipver=$("$venv/bin/python" - <<'PY'
import pathlib, re, ansible_test
src = (pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py").read_text()
print(re.search(r"pip='([^']+)'", src[src.index("default_packages = dict("):]).group(1))
PY
)
cache=$HOME/.ansible/test/cache
if [ ! -f "$cache/get_pip_${pipver//./_}.py" ]; then
  mkdir -p "$cache"
  "$venv/bin/pip" download -q --no-deps --only-binary :all: -d "$cache" "pip==$pipver"
  cp "$root/tests/gates/get_pip_standin.py" "$cache/get_pip_${pipver//./_}.py"
fi
if ls "$tree"/tests/sanity/ignore-*.txt >/dev/null 2>&1; then
  echo "sanity: ignore files are not allowed: $(ls "$tree"/tests/sanity/ignore-*.txt)" >&2
  exit 1
fi
cd "$tree"
exec ansible-test sanity --local --python 3.11 --color no "$@"
