"""What the data plane tests deploy and wait for: zips of small functions, and polling with a deadline."""

import io
import textwrap
import time
import zipfile


def zip_of(files: dict) -> bytes:
    """A Lambda deployment package with these files (name -> source, dedented)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, textwrap.dedent(text))
    return buffer.getvalue()


def wait_until(check, what: str, timeout: float, interval: float = 0.05):
    """``check()``'s first truthy result, polled every ``interval`` seconds for at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(interval)
