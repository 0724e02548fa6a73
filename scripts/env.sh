# Sourced by the scripts: the virtual environment and the collection path of this checkout.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$root/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$root/.cache/collections"
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=true
export ANSIBLE_FORCE_COLOR=${ANSIBLE_FORCE_COLOR:-false}
export ANSIBLE_NOCOLOR=${ANSIBLE_NOCOLOR:-1}
export PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}"
# Where the sources of the real RHDH operator and the RHDH chart come from, when a folder beside the
# checkout holds them (otherwise the testbed takes the operator's Go module and the chart repository
# at the pinned versions: testbed/versions.env).
upstream=$root/../shared/upstream
if [ -z "${RHDH_OPERATOR_SRC:-}" ] && [ -d "$upstream/rhdh-operator-src" ]; then
  RHDH_OPERATOR_SRC=$(cd "$upstream/rhdh-operator-src" && pwd); export RHDH_OPERATOR_SRC
fi
if [ -z "${RHDH_CHART_DIR:-}" ] && [ -d "$upstream/charts/rhdh-1.8/backstage" ]; then
  RHDH_CHART_DIR=$(cd "$upstream/charts/rhdh-1.8/backstage" && pwd); export RHDH_CHART_DIR
fi
unset upstream
