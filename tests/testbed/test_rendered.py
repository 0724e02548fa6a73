"""The checks on a rendered pod (testbed/rendered.py) catch what they promise: a user's app-config
hidden by another mount with the same path, a --config dropped, duplicates, the connector missing
or left behind. Pure: no cluster."""

from __future__ import annotations

import copy

from testbed.rendered import CONNECTOR_FILE, config_files, duplicates, problems, user_app_configs

SRC = "/opt/app-root/src"


def workload(app_configs: list[tuple[str, str]], sidecars: bool = False) -> dict:
    """A Deployment rendered the way the RHDH operator renders app-config ConfigMaps: one volume
    per ConfigMap, each key mounted at /opt/app-root/src/<key> with a subPath, one --config each."""
    volumes = [{"name": "dynamic-plugins-root", "emptyDir": {}}]
    mounts = [{"name": "dynamic-plugins-root", "mountPath": f"{SRC}/dynamic-plugins-root"}]
    args = ["--config", "dynamic-plugins-root/app-config.dynamic-plugins.yaml"]
    for configmap, key in app_configs:
        volume = f"backstage-appconfig-{configmap}"
        if volume not in [v["name"] for v in volumes]:
            volumes.append({"name": volume, "configMap": {"name": configmap}})
        mounts.append({"name": volume, "mountPath": f"{SRC}/{key}", "subPath": key})
        args += ["--config", f"{SRC}/{key}"]
    containers = [{"name": "backstage-backend", "args": args, "volumeMounts": mounts, "workingDir": SRC}]
    if sidecars:
        containers += [{"name": n} for n in ("location", "storage-rest", "rhoai-normalizer")]
    return {"kind": "Deployment", "spec": {"template": {"spec": {"volumes": volumes, "containers": containers}}}}


USER = [("app-config-rhdh", "app-config.yaml"), ("app-config-rhdh-auth", "app-config-auth.yaml")]
CONNECTOR = ("rhdh-rhoai-connector-app-config", "app-config.rhoai-connector.yaml")


def test_config_files_are_resolved_against_the_working_dir() -> None:
    files = config_files(workload(USER))
    assert files[0] == f"{SRC}/dynamic-plugins-root/app-config.dynamic-plugins.yaml"
    assert files[1:] == [f"{SRC}/app-config.yaml", f"{SRC}/app-config-auth.yaml"]


def test_a_good_install_has_no_problem_and_uninstall_is_checked_too() -> None:
    before = workload(USER)
    after = workload(USER + [CONNECTOR], sidecars=True)
    assert problems(before, after, connector_configmap=CONNECTOR[0]) == []
    assert problems(before, before, connector_configmap=CONNECTOR[0], connector=False) == []
    left = problems(before, after, connector_configmap=CONNECTOR[0], connector=False)
    assert f"{CONNECTOR_FILE} is still mounted or passed with --config" in left
    assert "sidecar location is still there" in left


def test_the_connector_using_the_users_key_hides_the_users_file() -> None:
    # What the collection did before: its ConfigMap under key app-config.yaml.
    before = workload(USER)
    after = workload(USER + [(CONNECTOR[0], "app-config.yaml")], sidecars=True)
    found = problems(before, after, connector_configmap=CONNECTOR[0])
    assert any("the user's app-config /opt/app-root/src/app-config.yaml (ConfigMap app-config-rhdh key "
               "app-config.yaml) is no longer mounted: ConfigMap rhdh-rhoai-connector-app-config" in f for f in found), found
    assert f"container backstage-backend mounts {SRC}/app-config.yaml 2 times" in found
    assert f"{CONNECTOR_FILE} is not passed with --config" in found


def test_a_dropped_config_argument_and_a_missing_sidecar_are_named() -> None:
    before = workload(USER)
    after = workload(USER + [CONNECTOR], sidecars=True)
    backend = after["spec"]["template"]["spec"]["containers"][0]
    backend["args"] = [a for a in backend["args"] if a != f"{SRC}/app-config-auth.yaml"]
    backend["args"].remove("--config")
    after["spec"]["template"]["spec"]["containers"].pop()
    found = problems(before, after, connector_configmap=CONNECTOR[0])
    assert f"the user's app-config {SRC}/app-config-auth.yaml is no longer passed with --config" in found
    assert "sidecar rhoai-normalizer is missing" in found


def test_duplicate_volumes_and_ports_are_found() -> None:
    after = workload(USER, sidecars=True)
    spec = after["spec"]["template"]["spec"]
    spec["volumes"].append(copy.deepcopy(spec["volumes"][0]))
    spec["containers"][1]["ports"] = [{"containerPort": 9090}, {"containerPort": 9090}]
    assert duplicates(after) == [
        "volume dynamic-plugins-root is declared 2 times",
        "container location declares port 9090 twice",
    ]


def test_the_connectors_own_file_is_not_a_user_app_config() -> None:
    assert set(user_app_configs(workload(USER + [CONNECTOR]), CONNECTOR[0])) == {
        f"{SRC}/app-config.yaml", f"{SRC}/app-config-auth.yaml"}


def test_the_operators_own_default_app_config_may_move_between_releases() -> None:
    # RHDH 1.10's operator renames the ConfigMap of its default.app-config.yaml; that is no user file.
    before = workload(USER + [("backstage-appconfig-developer-hub", "default.app-config.yaml")])
    after = workload(USER + [("backstage-appconfig-developer-hub-default-appconfig", "default.app-config.yaml"), CONNECTOR],
                     sidecars=True)
    assert problems(before, after, connector_configmap=CONNECTOR[0]) == []
