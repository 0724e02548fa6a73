"""The plugin merge: identity without tag, in-place upgrade, foreign entries kept, duplicates folded."""

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.rhdh.ai_connector.plugins.module_utils import dynamic_plugins as dp
from ansible_collections.rhdh.ai_connector.plugins.module_utils import yaml_text
from ansible_collections.rhdh.ai_connector.plugins.module_utils.errors import ConnectorError

MC_18 = dp.plugin_package("catalog-backend-module-model-catalog", "bs_1.42.5__0.7.0")
MC_19 = dp.plugin_package("catalog-backend-module-model-catalog", "bs_1.45.3__0.9.0")
TD_18 = dp.plugin_package("catalog-techdoc-url-reader-backend", "bs_1.42.5__0.3.0")
TD_19 = dp.plugin_package("catalog-techdoc-url-reader-backend", "bs_1.45.3__0.5.0")


@pytest.mark.parametrize(
    "package, identity",
    [
        (MC_18, "oci://ghcr.io/redhat-developer/rhdh-plugin-export-overlays/"
                "red-hat-developer-hub-backstage-plugin-catalog-backend-module-model-catalog:!"
                "red-hat-developer-hub-backstage-plugin-catalog-backend-module-model-catalog"),
        ("oci://quay.io/x/img:1.0!img", "oci://quay.io/x/img:!img"),
        ("oci://quay.io/x/img:2.0", "oci://quay.io/x/img:!img"),
        ("oci://quay.io/x/img@sha256:abc!img", "oci://quay.io/x/img:!img"),
        ("oci://quay.io/x/img:1.0@sha256:abc!img", "oci://quay.io/x/img:!img"),
        ("oci://registry:5000/x/img:1.0!sub/path", "oci://registry:5000/x/img:!sub/path"),
        ("oci://registry:5000/x/img", "oci://registry:5000/x/img:!img"),
        ("@backstage/plugin-foo@1.2.3", "@backstage/plugin-foo"),
        ("@backstage/plugin-foo", "@backstage/plugin-foo"),
        ("plugin-bar@0.1.0", "plugin-bar"),
        ("./dynamic-plugins/dist/backstage-community-plugin-github-issues/",
         "./dynamic-plugins/dist/backstage-community-plugin-github-issues"),
    ],
)
def test_identity_ignores_tag_digest_and_version(package, identity):
    assert dp.plugin_identity(package) == identity


def test_same_plugin_with_and_without_path_suffix():
    assert dp.plugin_identity("oci://r/a/img:1!img") == dp.plugin_identity("oci://r/a/img:2")
    assert dp.plugin_identity("oci://r/a/img:1!other") != dp.plugin_identity("oci://r/a/img:2")


def test_upgrade_updates_tag_in_place_and_keeps_everything_else():
    doc = {
        "includes": ["dynamic-plugins.default.yaml"],
        "custom": {"kept": True},
        "plugins": [
            {"package": "./dynamic-plugins/dist/a", "disabled": False},
            {"package": MC_18, "disabled": False, "pluginConfig": {"user": 1}},
            {"package": "oci://quay.io/example/my-plugin:1.0.0!my-plugin", "disabled": True},
        ],
    }
    changes = dp.ensure_plugins(doc, [{"package": MC_19}, {"package": TD_19}])
    assert [p["package"] for p in doc["plugins"]] == [
        "./dynamic-plugins/dist/a", MC_19, "oci://quay.io/example/my-plugin:1.0.0!my-plugin", TD_19]
    assert doc["plugins"][1]["pluginConfig"] == {"user": 1}
    assert doc["custom"] == {"kept": True} and doc["includes"] == ["dynamic-plugins.default.yaml"]
    assert changes == ["updated {0} to {1}".format(MC_18, MC_19), "added {0}".format(TD_19)]


def test_duplicates_from_other_installers_are_folded_into_one():
    doc = {"plugins": [{"package": MC_18}, {"package": "x"}, {"package": MC_19, "disabled": True}]}
    changes = dp.ensure_plugins(doc, [{"package": MC_19}])
    assert doc["plugins"] == [{"package": MC_19}, {"package": "x"}]
    assert "removed duplicate {0}".format(MC_19) in changes


def test_disable_keeps_entry_and_absent_removes_it():
    doc = {"plugins": [{"package": MC_18, "disabled": False}]}
    assert dp.ensure_plugins(doc, [{"package": MC_18}], "disabled") == ["disabled {0}".format(MC_18)]
    assert doc["plugins"] == [{"package": MC_18, "disabled": True}]
    assert dp.ensure_plugins(doc, [{"package": MC_18}], "disabled") == []
    assert dp.ensure_plugins(doc, [{"package": TD_18}], "disabled") == []  # nothing added only to be disabled
    assert dp.ensure_plugins(doc, [{"package": MC_19}], "absent") == ["removed {0}".format(MC_18)]
    assert doc["plugins"] == []


def test_plugin_config_keys_are_set_and_user_keys_kept():
    doc = {"plugins": [{"package": MC_18, "pluginConfig": {"mine": 1, "theirs": 2}}]}
    dp.ensure_plugins(doc, [{"package": MC_18, "pluginConfig": {"theirs": 3}}])
    assert doc["plugins"][0]["pluginConfig"] == {"mine": 1, "theirs": 3}


@pytest.mark.parametrize(
    "text, message",
    [
        ("plugins: {a: 1}", "'plugins' must be a list"),
        ("- a\n- b\n", "must hold a YAML mapping"),
        ("plugins:\n  - disabled: true\n", "plugins[0] has no 'package'"),
    ],
)
def test_bad_documents_are_refused_with_the_place_and_the_fix(text, message):
    where = "ConfigMap ai-rhdh/dynamic-plugins-rhdh key dynamic-plugins.yaml"
    with pytest.raises(ConnectorError) as err:
        dp.validate(yaml_text.load(text, where), where)
    assert message in str(err.value) and where in str(err.value) and "Fix:" in str(err.value)


def test_malformed_yaml_names_the_object():
    with pytest.raises(ConnectorError) as err:
        yaml_text.load("plugins: [unclosed", "ConfigMap ns/cm key k")
    assert "ConfigMap ns/cm key k does not hold valid YAML" in str(err.value)


def test_empty_document_becomes_a_fresh_one():
    assert dp.validate(None, "x") == {"includes": ["dynamic-plugins.default.yaml"], "plugins": []}


ORIGINAL = """\
includes:
  - dynamic-plugins.default.yaml
# my plugins
plugins:
  - package: ./dynamic-plugins/dist/backstage-community-plugin-github-issues
    disabled: false   # keep on
    pluginConfig:
      dynamicPlugins:
        frontend: {}
  - package: 'oci://quay.io/example/my-plugin:1.0.0!my-plugin'
"""


def test_text_round_trip_add_then_remove_gives_the_original_bytes():
    doc = dp.validate(yaml_text.load(ORIGINAL, "x"), "x")
    dp.ensure_plugins(doc, [{"package": MC_18}, {"package": TD_18}])
    added = yaml_text.dump(doc, like=ORIGINAL)
    assert "# my plugins" in added and "# keep on" in added and MC_18 in added
    doc = dp.validate(yaml_text.load(added, "x"), "x")
    dp.ensure_plugins(doc, [{"package": MC_19}, {"package": TD_19}], "absent")
    assert yaml_text.dump(doc, like=added) == ORIGINAL


@pytest.mark.parametrize("mirror", ["mirror.example.com/rhdh", "mirror.example.com:5000/a/b", "registry.local"])
def test_a_mirror_registry_updates_the_same_plugin_in_place_whatever_the_host(mirror):
    """A disconnected install (plugin_registry on a mirror) never gets a second entry of a plugin."""
    mirrored = dp.plugin_package("catalog-backend-module-model-catalog", "bs_1.42.5__0.7.0", mirror)
    doc = {"plugins": [{"package": "x"}, {"package": MC_18, "disabled": True, "pluginConfig": {"mine": 1}}]}
    changes = dp.ensure_plugins(doc, [{"package": mirrored}])
    assert doc["plugins"] == [{"package": "x"}, {"package": mirrored, "disabled": False, "pluginConfig": {"mine": 1}}]
    assert changes == ["updated {0} to {1}".format(MC_18, mirrored), "enabled {0}".format(mirrored)]
    assert dp.ensure_plugins(doc, [{"package": mirrored}]) == []
    assert dp.find_plugins(doc, [MC_19])[MC_19]["package"] == mirrored
    # back to the public registry: the same entry again, not a second one
    dp.ensure_plugins(doc, [{"package": MC_19}])
    assert [e["package"] for e in doc["plugins"]] == ["x", MC_19]
    dp.ensure_plugins(doc, [{"package": mirrored}], "absent")
    assert doc["plugins"] == [{"package": "x"}]


def test_find_plugins_matches_by_identity():
    doc = {"plugins": [{"package": MC_18, "disabled": True}]}
    found = dp.find_plugins(doc, [MC_19, TD_19])
    assert found[MC_19] == {"package": MC_18, "disabled": True} and found[TD_19] is None


# Property tests -------------------------------------------------------------------------------

names = st.sampled_from(["a", "b", "img", "plugin-x", "my-plugin"])
tags = st.sampled_from(["1.0", "2.0", "bs_1.42.5__0.7.0", "latest"])
hosts = st.sampled_from(["quay.io/org", "mirror.example.com/rhdh", "registry:5000/a/b"])
oci = st.builds(lambda h, n, t, sub: "oci://{0}/{1}:{2}{3}".format(h, n, t, "!" + n if sub else ""), hosts, names, tags, st.booleans())
local = st.builds(lambda n: "./dynamic-plugins/dist/" + n, names)
npm = st.builds("@scope/{0}@{1}".format, names, tags)
packages = st.one_of(oci, local, npm)
entries = st.builds(
    lambda p, d, cfg: dict({"package": p, "disabled": d}, **({"pluginConfig": cfg} if cfg else {})),
    packages, st.booleans(), st.one_of(st.none(), st.dictionaries(st.sampled_from(["k", "x"]), st.integers(0, 3))),
)


def unique_by_identity(items):
    seen, out = set(), []
    for item in items:
        ident = dp.plugin_name(item["package"])
        if ident not in seen:
            seen.add(ident)
            out.append(item)
    return out


docs = st.builds(lambda es: {"includes": ["dynamic-plugins.default.yaml"], "plugins": unique_by_identity(es), "other": 1},
                 st.lists(entries, max_size=6))
wanted = st.lists(st.builds(lambda p: {"package": p}, packages), min_size=1, max_size=3).map(unique_by_identity)


@settings(max_examples=200, deadline=None)
@given(docs, wanted, st.sampled_from(["present", "disabled", "absent"]))
def test_merging_twice_equals_merging_once(doc, want, state):
    once = copy.deepcopy(doc)
    dp.ensure_plugins(once, want, state)
    twice = copy.deepcopy(once)
    assert dp.ensure_plugins(twice, want, state) == []
    assert twice == once


@settings(max_examples=200, deadline=None)
@given(docs, wanted)
def test_foreign_entries_survive_untouched(doc, want):
    idents = {dp.plugin_name(w["package"]) for w in want}
    foreign = [e for e in doc["plugins"] if dp.plugin_name(e["package"]) not in idents]
    merged = copy.deepcopy(doc)
    dp.ensure_plugins(merged, want)
    assert [e for e in merged["plugins"] if dp.plugin_name(e["package"]) not in idents] == foreign
    assert merged["other"] == 1 and merged["includes"] == doc["includes"]
    for w in want:  # exactly one entry per wanted identity, enabled, with the wanted package
        hits = [e for e in merged["plugins"] if dp.plugin_name(e["package"]) == dp.plugin_name(w["package"])]
        assert len(hits) == 1 and hits[0]["package"] == w["package"] and not hits[0].get("disabled")


@settings(max_examples=200, deadline=None)
@given(docs, wanted)
def test_removal_after_addition_restores_the_original(doc, want):
    idents = {dp.plugin_name(w["package"]) for w in want}
    doc["plugins"] = [e for e in doc["plugins"] if dp.plugin_name(e["package"]) not in idents]
    merged = copy.deepcopy(doc)
    dp.ensure_plugins(merged, want)
    dp.ensure_plugins(merged, want, "absent")
    assert merged == doc


# What was there before the install (issue 11, item 5) ------------------------------------------

def install_then_uninstall(doc, want, adopt=True, runs=("present",)):
    record = {}
    for state in runs:
        record = dp.record_entries(doc, want, record, state, adopt)
        dp.ensure_plugins(doc, want, state)
    changes = dp.restore_entries(doc, want, record)
    return record, changes


def test_uninstall_gives_the_users_own_entry_back_and_removes_what_it_added():
    users = {"package": MC_18.replace("ghcr.io/redhat-developer/rhdh-plugin-export-overlays", "mirror.example.com/rhdh"),
             "disabled": True, "pluginConfig": {"catalog": {"providers": {"mine": 1}}}}
    doc = {"includes": ["dynamic-plugins.default.yaml"], "plugins": [{"package": "x"}, copy.deepcopy(users)]}
    original = copy.deepcopy(doc)
    record = dp.record_entries(doc, [{"package": MC_19}, {"package": TD_19}], {})
    assert record == {dp.plugin_name(MC_19): users, dp.plugin_name(TD_19): None}
    dp.ensure_plugins(doc, [{"package": MC_19}, {"package": TD_19}])
    assert doc["plugins"][1]["package"] == MC_19 and not doc["plugins"][1]["disabled"]
    # a later run keeps the first record: the entry it updated is not the user's now
    assert dp.record_entries(doc, [{"package": MC_19}, {"package": TD_19}], record) == record
    changes = dp.restore_entries(doc, [{"package": MC_19}, {"package": TD_19}], record)
    assert doc == original
    assert changes == ["restored {0} as it was before the install".format(users["package"]), "removed {0}".format(TD_19)]
    assert dp.restore_entries(doc, [{"package": MC_19}, {"package": TD_19}], record) == []


def test_entries_of_an_earlier_version_without_a_record_are_removed():
    doc = {"plugins": [{"package": MC_18, "disabled": False}]}
    record = install_then_uninstall(doc, [{"package": MC_19}], adopt=False)[0]
    assert record == {dp.plugin_name(MC_19): None} and doc["plugins"] == []
    doc = {"plugins": [{"package": MC_18, "disabled": False}]}  # no record at all: added by the collection
    assert dp.restore_entries(doc, [{"package": MC_19}], {}) == ["removed {0}".format(MC_18)] and doc["plugins"] == []


def test_an_entry_the_user_removed_after_the_install_is_not_brought_back():
    doc = {"plugins": [{"package": MC_18, "pluginConfig": {"a": 1}}]}
    record = dp.record_entries(doc, [{"package": MC_19}], {})
    doc["plugins"] = []
    assert dp.restore_entries(doc, [{"package": MC_19}], record) == [] and doc["plugins"] == []


def test_restoring_keeps_the_comments_of_the_users_entry():
    text = ORIGINAL.replace("  - package: 'oci://quay.io/example/my-plugin:1.0.0!my-plugin'\n",
                            "  - package: {0}  # mine\n    disabled: true\n    pluginConfig: {{k: 1}}\n".format(MC_18))
    doc = dp.validate(yaml_text.load(text, "x"), "x")
    record = dp.record_entries(doc, [{"package": MC_19}, {"package": TD_19}], {})
    dp.ensure_plugins(doc, [{"package": MC_19}, {"package": TD_19}])
    installed = yaml_text.dump(doc, like=text)
    doc = dp.validate(yaml_text.load(installed, "x"), "x")
    dp.restore_entries(doc, [{"package": MC_19}, {"package": TD_19}], dp.load_record(dp.dump_record(record)))
    assert yaml_text.dump(doc, like=installed) == text


@settings(max_examples=200, deadline=None)
@given(docs, wanted, st.lists(st.sampled_from(["present", "disabled"]), min_size=1, max_size=3))
def test_uninstall_undoes_any_sequence_of_runs_with_the_users_entries_kept(doc, want, runs):
    original = copy.deepcopy(doc)
    install_then_uninstall(doc, want, runs=runs)
    assert doc == original


@settings(max_examples=100, deadline=None)
@given(docs, wanted)
def test_recording_twice_equals_recording_once(doc, want):
    once = dp.record_entries(doc, want, {})
    assert dp.record_entries(doc, want, once) == once
    assert dp.load_record(dp.dump_record(once)) == once
