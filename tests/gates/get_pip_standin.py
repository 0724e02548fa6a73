"""Offline stand-in for the pip bootstrap script ansible-test downloads (``get-pip-<version>.py``).

ansible-test creates each sanity test's virtual environment without pip and bootstraps pip with a
``get-pip.py`` it fetches from its own file server, which this project's machines cannot reach.
When that download fails it asks for the script to be saved as
``~/.ansible/test/cache/get_pip_<version>.py``; ``tests/gates/sanity.sh`` saves this file there,
beside the pip wheel of that version (from PyPI). Like get-pip.py it runs pip from the wheel to
install the packages it is given (pip itself first), dropping get-pip's own
``--no-setuptools``/``--no-wheel`` flags.
"""

from __future__ import annotations

import glob
import os
import sys

GET_PIP_FLAGS = ("--no-setuptools", "--no-wheel")


def pip_wheel(args: list[str]) -> str:
    """The pip wheel beside this file, for the ``pip==<version>`` the caller asks for."""
    here = os.path.dirname(os.path.abspath(__file__))
    versions = [a.split("==", 1)[1] for a in args if a.startswith("pip==")]
    pattern = "pip-{0}-py3-none-any.whl".format(versions[0] if versions else "*")
    wheels = sorted(glob.glob(os.path.join(here, pattern)))
    if not wheels:
        sys.exit("get-pip stand-in: no {0} in {1}".format(pattern, here))
    return wheels[-1]


def main() -> int:
    args = [a for a in sys.argv[1:] if a not in GET_PIP_FLAGS]
    sys.path.insert(0, pip_wheel(args))
    from pip._internal.cli.main import main as pip_main  # pylint: disable=import-outside-toplevel

    return pip_main(["install", "--upgrade", "--force-reinstall", *args])


if __name__ == "__main__":
    sys.exit(main())
