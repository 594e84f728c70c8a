"""Run `ansible-test sanity` offline-safe, on the collection exactly as it ships.

ansible-test bootstraps pip in its test virtualenvs with a script it downloads from a host this
network cannot reach; a stand-in that uses the standard library's ensurepip goes into its cache
first. The collection is built and installed into build/sanity (as a user would install it) next to
the amazon.aws and community.aws it depends on, and tested there.
"""

import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / "build" / "sanity"
BIN = Path(sys.executable).parent
PYTHON_VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"

GET_PIP_STANDIN = '''"""Stand-in for get-pip.py: pip from the standard library's ensurepip, then what was asked."""
import ensurepip
import os
import subprocess
import sys

environ = dict(os.environ)  # ensurepip points PIP_CONFIG_FILE at /dev/null; pip.conf (CA, mirrors) must apply after
ensurepip.bootstrap(upgrade=True)
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
if args:
    subprocess.check_call([sys.executable, "-m", "pip", "install", *args], env=environ)
'''


def install_get_pip_standin() -> None:
    from ansible_test._internal.python_requirements import get_venv_packages

    class Python:
        version = PYTHON_VERSION

    pip_version = get_venv_packages(Python)["pip"]
    cache = Path.home() / ".ansible" / "test" / "cache" / f"get_pip_{pip_version.replace('.', '_')}.py"
    cache.parent.mkdir(parents=True, exist_ok=True)
    if not cache.exists() or cache.read_text() != GET_PIP_STANDIN:
        cache.write_text(GET_PIP_STANDIN)


def install_collection() -> Path:
    collection = BUILD / "ansible_collections" / "activeactive" / "aws"
    kept_output = BUILD.parent / "sanity-output"
    shutil.rmtree(kept_output, ignore_errors=True)
    if (collection / "tests" / "output").exists():
        shutil.move(collection / "tests" / "output", kept_output)  # ansible-test's venvs: slow to rebuild
    shutil.rmtree(BUILD, ignore_errors=True)
    BUILD.mkdir(parents=True)
    subprocess.run(
        [BIN / "ansible-galaxy", "collection", "build", "--force", "--output-path", str(BUILD), str(REPO)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    tarball = glob.glob(str(BUILD / "activeactive-aws-*.tar.gz"))[0]
    subprocess.run(
        [BIN / "ansible-galaxy", "collection", "install", "--no-deps", "--force", "-p", str(BUILD), tarball],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    site = Path(__import__("ansible_collections").__path__[0])
    for dependency in ("amazon/aws", "community/aws"):
        target = BUILD / "ansible_collections" / dependency
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(site / dependency, target, ignore=shutil.ignore_patterns("tests", "__pycache__"))

    sanity = REPO / "tests" / "sanity"
    shutil.copytree(
        sanity,
        BUILD / "ansible_collections" / "activeactive" / "aws" / "tests" / "sanity",
        ignore=shutil.ignore_patterns("run.py", "__pycache__"),
        dirs_exist_ok=True,
    )
    if kept_output.exists():
        shutil.move(kept_output, collection / "tests" / "output")
    (collection / ".gitignore").write_text("tests/output/\n")
    # Its own git repository, so ansible-test does not take this checkout's .gitignore for its file list.
    git = ["git", "-c", "user.name=sanity", "-c", "user.email=sanity@localhost"]
    subprocess.run([*git, "init", "-q"], cwd=collection, check=True)
    subprocess.run([*git, "add", "-A"], cwd=collection, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "as shipped"], cwd=collection, check=True)
    return collection


def main() -> int:
    install_get_pip_standin()
    collection = install_collection()
    env = dict(os.environ, PATH=f"{BIN}:{os.environ['PATH']}")
    cmd = [str(BIN / "ansible-test"), "sanity", "--venv", "--python", PYTHON_VERSION, "--color", "no", *sys.argv[1:]]
    print(f"ansible-test sanity in {collection}", flush=True)
    return subprocess.run(cmd, cwd=collection, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
