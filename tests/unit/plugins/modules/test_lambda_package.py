"""lambda_package: the same source gives the same bytes; a change gives other bytes."""

import importlib.util
import os
import time
import zipfile

import pytest

MODULE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "plugins", "modules", "lambda_package.py")
spec = importlib.util.spec_from_file_location("lambda_package", MODULE)
lambda_package = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lambda_package)


@pytest.fixture
def source(tmp_path):
    src = tmp_path / "src"
    (src / "pkg" / "__pycache__").mkdir(parents=True)
    (src / "app.py").write_text("def handler(event, context):\n    return {}\n")
    (src / "pkg" / "util.py").write_text("X = 1\n")
    (src / "pkg" / "__pycache__" / "util.cpython-311.pyc").write_bytes(b"\0")
    (src / ".hidden").write_text("secret")
    return src


def package(src):
    files = lambda_package.package_files(str(src), ["__pycache__", "*.pyc", ".*"])
    return files, lambda_package.build_zip(str(src), files)


def test_same_source_same_bytes_whatever_the_mtimes(source):
    files, first = package(source)
    time.sleep(0.01)
    os.utime(source / "app.py", (time.time() + 100, time.time() + 100))
    assert package(source)[1] == first
    assert files == ["app.py", "pkg/util.py"]


def test_excluded_names_stay_out_and_content_changes_show(source, tmp_path):
    files, data = package(source)
    archive = tmp_path / "a.zip"
    archive.write_bytes(data)
    with zipfile.ZipFile(archive) as opened:
        assert opened.namelist() == ["app.py", "pkg/util.py"]
        assert {info.date_time for info in opened.infolist()} == {lambda_package.FIXED_DATE}
    (source / "pkg" / "util.py").write_text("X = 2\n")
    assert package(source)[1] != data


def test_digest_is_lambdas_code_sha256_format():
    assert lambda_package.digest(b"abc") == "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
    assert lambda_package.digest(None) is None
