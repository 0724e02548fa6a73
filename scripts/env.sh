# Sourced by the scripts: the virtual environment and the collection path of this checkout.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$root/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$root/.cache/collections"
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=true
export ANSIBLE_FORCE_COLOR=${ANSIBLE_FORCE_COLOR:-false}
export ANSIBLE_NOCOLOR=${ANSIBLE_NOCOLOR:-1}
export PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}"
