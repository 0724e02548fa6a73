"""Where the collection differs from Red Hat's guide, it is better and the README says why; elsewhere it follows it."""

import re
from pathlib import Path

import yaml

from ansible_collections.rhdh.ai_connector.plugins.module_utils import step_rhdh_connector_rbac
from ansible_collections.rhdh.ai_connector.plugins.module_utils import rules
from ansible_collections.rhdh.ai_connector.plugins.module_utils import sidecars as sc

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def differences():
    section = README.split("## Differences from the guide", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| what")]
    return section, {cells[0]: cells[1:] for cells in ([c.strip() for c in row.strip("|").split("|")] for row in rows)}


def test_every_difference_from_the_guide_has_a_reason():
    _section, rows = differences()
    assert {"registry RoleBinding subject", "registry RoleBindings", "`imagePullPolicy` of the sidecars",
            "normalizer metrics port"} <= set(rows)
    for what, (guide, ours, why) in rows.items():
        assert guide and ours and len(why) > 40, what


def test_the_pull_policy_kept_is_the_one_the_table_explains():
    _section, rows = differences()
    guide, ours, why = rows["`imagePullPolicy` of the sidecars"]
    assert guide == "`Always`" and ours.startswith("`IfNotPresent`") and "pinned by digest" in why
    defaults = yaml.safe_load((ROOT / "roles" / "rhoai_connector" / "defaults" / "main.yml").read_text())
    assert defaults["rhoai_connector_image_pull_policy"] == "IfNotPresent"
    assert all(ref.split("@", 1)[1].startswith("sha256:") for ref in sc.image_refs().values())


def test_the_odh_registry_rolebinding_is_named_as_the_guide_asks():
    assert rules.registry_binding_prefix("rhdh-rhoai-dashboard-permissions", "odh") == "rhdh-odh-dashboard-permissions"
    assert rules.registry_binding_prefix("rhdh-rhoai-dashboard-permissions", "rhoai-self-managed") == "rhdh-rhoai-dashboard-permissions"
    assert rules.registry_binding_prefix("my-bindings", "odh") == "my-bindings"  # the user's choice stands
    assert step_rhdh_connector_rbac.ARGUMENT_SPEC["registry_rolebinding"]["default"] == rules.REGISTRY_BINDING
    section, _rows = differences()
    assert "rhdh-odh-dashboard-permissions" in section


def test_the_digests_are_the_guides_current_edition_and_the_readme_names_them():
    section, _rows = differences()
    guide = {"location": "c4471e07", "storage-rest": "398095e7", "rhoai-normalizer": "9f197424"}
    for name, prefix in guide.items():
        assert sc.DEFAULT_DIGESTS[name].startswith("sha256:" + prefix)
        assert re.search(r"`{0}`\s+`sha256:{1}".format(re.escape(name), prefix), section), name
