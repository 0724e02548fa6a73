#!/usr/bin/env bash
# Gate: ansible-lint with the production profile over the role, the playbooks and the molecule
# scenarios (.ansible-lint: offline, no skip list). Extra arguments go to ansible-lint.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
"$root/scripts/bootstrap"
# shellcheck source=/dev/null
. "$root/scripts/env.sh"
cd "$root"
exec ansible-lint --profile production --offline --nocolor "$@"
