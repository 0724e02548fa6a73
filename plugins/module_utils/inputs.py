# -*- coding: utf-8 -*-
# Copyright: contributors to rhdh.ai_connector
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a module is given, made plain before anything else runs: pure functions, no I/O.

- AAP sends ``""`` for a survey question left empty. An empty string means "not set" for every
  option: the option's default applies (``registries: ""`` is no registry, not one named ``""``).
- Object names are checked against Kubernetes' naming rules (DNS-1123) before the first request, so
  a bad name is refused with the option to correct instead of half-way through a run.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from typing import Any, Dict, Iterable, List

#: Options whose empty string is a value of its own, documented as such.
EMPTY_IS_A_VALUE = frozenset(["gitops_sync_wave"])

#: Options that name a namespace (a DNS-1123 label) ...
NAMESPACE_OPTIONS = frozenset(["namespace", "registries_namespace"])
#: ... and options that name an object (a DNS-1123 subdomain).
OBJECT_NAME_OPTIONS = frozenset([
    "name", "backstage", "deployment", "workload", "configmap", "plugins_configmap", "app_config_configmap",
    "service_account", "token_secret", "cluster_role", "role", "registry_rolebinding", "legacy_name",
    "datasciencecluster",
])
#: The registry operator's Role for registry ``<name>`` is ``registry-user-<name>``.
REGISTRY_ROLE_PREFIX = "registry-user-"

_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_RULE = "a DNS-1123 label: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit"
SUBDOMAIN_RULE = ("a DNS-1123 subdomain: at most 253 lowercase letters, digits, '-' and '.', starting and ending "
                  "with a letter or digit")


def is_blank(value: Any) -> bool:
    return isinstance(value, str) and not value.strip()


def blank_is_unset(params: Dict[str, Any], keep: Iterable[str] = EMPTY_IS_A_VALUE) -> Dict[str, Any]:
    """``params`` without the options given as an empty string (their default applies), and without
    empty items in lists (``"a,,b"`` or ``[""]``). Ansible's own keys (``_ansible_*``) are kept."""
    keep = set(keep)
    out = {}  # type: Dict[str, Any]
    for key, value in params.items():
        if key.startswith("_ansible") or key in keep:
            out[key] = value
        elif is_blank(value):
            continue
        elif isinstance(value, list):
            out[key] = [v.strip() if isinstance(v, str) else v for v in value if not is_blank(v)]
        else:
            out[key] = value
    return out


def is_label(name: str) -> bool:
    return len(name) <= 63 and bool(_LABEL.match(name))


def is_subdomain(name: str) -> bool:
    return len(name) <= 253 and bool(_SUBDOMAIN.match(name))


def invalid_names(params: Dict[str, Any]) -> List[str]:
    """One line per option whose value cannot name what it names; [] when all can."""
    problems = []
    for option in sorted(NAMESPACE_OPTIONS | OBJECT_NAME_OPTIONS):
        value = params.get(option)
        if not isinstance(value, str):
            continue
        label = option in NAMESPACE_OPTIONS
        if not (is_label(value) if label else is_subdomain(value)):
            problems.append("{0} {1!r} is not {2}".format(option, value, LABEL_RULE if label else SUBDOMAIN_RULE))
    registries = params.get("registries")
    if isinstance(registries, list):
        prefix = params.get("registry_rolebinding") or ""
        for registry in registries:
            names = [str(registry), REGISTRY_ROLE_PREFIX + str(registry)] + (["{0}-{1}".format(prefix, registry)] if prefix else [])
            if not all(is_subdomain(n) for n in names):
                problems.append("registries item {0!r} cannot name a ModelRegistry and its RoleBinding{1}: each must be {2}".format(
                    registry, " {0}-{1}".format(prefix, registry) if prefix else "", SUBDOMAIN_RULE))
    return problems
