"""Command line: python -m testbed {build,up,load,upgrade-operator,rhdh-operator-csv,down,list,scenarios}
(from the repository root)."""

from __future__ import annotations

import argparse
import logging
import sys
import time

from . import Cluster, TestbedError, run_build
from .scenarios import (
    RHDH_OPERATOR_NS,
    SCENARIOS,
    ensure_rhdh_operator_csv,
    remove_rhdh_operator_csv,
    rhdh_operator_csv,
    upgrade_operator,
)


def _cmd_build(_: argparse.Namespace) -> int:
    result = run_build()
    print(result.bin_dir)
    return 0


def _cmd_up(args: argparse.Namespace) -> int:
    started = time.monotonic()
    cluster = Cluster.create(args.name)
    if args.scenario:
        cluster.load(*args.scenario)
    print(f"cluster {cluster.name} is ready in {time.monotonic() - started:.1f} s")
    print(f"server:     {cluster.server}")
    print(f"kubeconfig: {cluster.kubeconfig}")
    print(f"export KUBECONFIG={cluster.kubeconfig}")
    return 0


def _cmd_load(args: argparse.Namespace) -> int:
    started = time.monotonic()
    Cluster.get(args.name).load(*args.scenarios)
    print(f"loaded {', '.join(args.scenarios)} in {time.monotonic() - started:.1f} s")
    return 0


def _cmd_upgrade_operator(args: argparse.Namespace) -> int:
    started = time.monotonic()
    upgrade_operator(Cluster.get(args.name), args.version)
    print(f"RHDH operator {args.version} runs for {args.name} ({time.monotonic() - started:.1f} s)")
    return 0


def _cmd_rhdh_operator_csv(args: argparse.Namespace) -> int:
    started = time.monotonic()
    name = rhdh_operator_csv(args.version, args.namespace)["metadata"]["name"]
    cluster = Cluster.get(args.name)
    if args.remove:
        wrote = remove_rhdh_operator_csv(cluster, args.version, args.namespace)
        outcome = "removed" if wrote else "absent, unchanged"
    else:
        wrote = ensure_rhdh_operator_csv(cluster, args.version, args.namespace)
        outcome = "written" if wrote else "present, unchanged"
    print(f"ClusterServiceVersion {args.namespace}/{name} of {args.name}: {outcome} "
          f"({time.monotonic() - started:.1f} s)")
    return 0


def _cmd_down(args: argparse.Namespace) -> int:
    started = time.monotonic()
    Cluster(args.name).delete()
    print(f"cluster {args.name} deleted in {time.monotonic() - started:.1f} s")
    return 0


def _cmd_list(_: argparse.Namespace) -> int:
    for name in Cluster.list():
        info = Cluster(name).info()
        state = "running" if info["running"] else "stopped"
        operator = f" operator={info['operator']}" if info["operator"] else ""
        print(f"{name}\t{state}\t{info['server']}\t{info['kubeconfig']}{operator}")
    return 0


def _cmd_scenarios(_: argparse.Namespace) -> int:
    width = max(len(name) for name in SCENARIOS)
    for name, description in SCENARIOS.items():
        print(f"{name:<{width}}  {description}")
    return 0


def parser() -> argparse.ArgumentParser:
    """The CLI's argument parser."""
    top = argparse.ArgumentParser(prog="python -m testbed", description=__doc__)
    top.add_argument("-q", "--quiet", action="store_true", help="print only results, no step log")
    sub = top.add_subparsers(dest="command", required=True)
    sub.add_parser("build", help="build (or reuse) the binaries; prints the bin folder").set_defaults(
        func=_cmd_build
    )
    up = sub.add_parser("up", help="create a cluster (no-op if it runs) and load scenarios")
    up.add_argument("name")
    up.add_argument("--scenario", action="append", default=[], help="scenario to load (repeatable)")
    up.set_defaults(func=_cmd_up)
    load = sub.add_parser("load", help="load scenarios into a running cluster")
    load.add_argument("name")
    load.add_argument("scenarios", nargs="+")
    load.set_defaults(func=_cmd_load)
    upgrade = sub.add_parser("upgrade-operator", help="apply a version's Backstage CRD and run that RHDH operator instead")
    upgrade.add_argument("name")
    upgrade.add_argument("version", choices=["1.8", "1.10", "2.0"])
    upgrade.set_defaults(func=_cmd_upgrade_operator)
    csv = sub.add_parser(
        "rhdh-operator-csv",
        help="create (or with --remove delete) the RHDH operator's ClusterServiceVersion rhdh-operator.v<version> "
        "as OLM makes it; prints 'unchanged' when nothing was sent",
    )
    csv.add_argument("name")
    csv.add_argument("version", help="the operator's release, X.Y.Z (like 2.0.0)")
    csv.add_argument("--namespace", default=RHDH_OPERATOR_NS, help=f"the operator's namespace (default {RHDH_OPERATOR_NS})")
    csv.add_argument("--remove", action="store_true", help="delete it instead, and wait until it is gone")
    csv.set_defaults(func=_cmd_rhdh_operator_csv)
    down = sub.add_parser("down", help="delete a cluster and its state")
    down.add_argument("name")
    down.set_defaults(func=_cmd_down)
    sub.add_parser("list", help="list clusters").set_defaults(func=_cmd_list)
    sub.add_parser("scenarios", help="list scenarios").set_defaults(func=_cmd_scenarios)
    return top


def main(argv: list[str] | None = None) -> int:
    """Run the CLI."""
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )
    try:
        return int(args.func(args))
    except TestbedError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
