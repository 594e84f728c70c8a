#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the activeactive.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: lambda_package
short_description: Build a reproducible AWS Lambda deployment package from a directory
version_added: 0.1.0
description:
  - Zips a source directory so that the same source always gives the same bytes (sorted entries, fixed
    timestamps and permissions), so C(amazon.aws.lambda) sees an unchanged C(CodeSha256) and a re-run
    changes nothing.
  - Writes the package only when its content differs from the file already at O(dest).
  - Makes no AWS call; it is not part of the C(activeactive.aws.aws) action group.
options:
  src:
    description: The directory whose files make up the package, at the root of the zip.
    type: path
    required: true
  dest:
    description: Where to write the zip file. Missing parent directories are created.
    type: path
    required: true
  exclude:
    description: Shell-style patterns of file or directory names to leave out.
    type: list
    elements: str
    default: ["__pycache__", "*.pyc", ".*"]
  state:
    description: V(present) builds the package, V(absent) removes O(dest).
    type: str
    choices: [present, absent]
    default: present
notes:
  - Supports check mode and diff mode (the package digest before and after).
author:
  - activeactive.aws maintainers (@activeactive)
"""

EXAMPLES = r"""
- name: Package the application
  activeactive.aws.lambda_package:
    src: "{{ playbook_dir }}/../files/lambda"
    dest: /tmp/app.zip
  register: package

- name: Deploy it
  amazon.aws.lambda:
    name: app
    zip_file: "{{ package.dest }}"
    runtime: python3.13
    handler: app.handler
    role: arn:aws:iam::123456789012:role/app
"""

RETURN = r"""
dest:
  description: The path of the package.
  returned: always
  type: str
  sample: /tmp/app.zip
sha256:
  description: The package's SHA-256 digest, base64-encoded as Lambda reports it in C(CodeSha256).
  returned: when O(state=present)
  type: str
  sample: 0pZ9ab2D5W8nAq0SzXrUiK6Pp0J7ihjF5tYJ3I0bR6c=
files:
  description: The files in the package, in order.
  returned: when O(state=present)
  type: list
  elements: str
  sample: ["README.md", "app.py"]
"""

import base64
import fnmatch
import hashlib
import io
import os
import zipfile

from ansible.module_utils.basic import AnsibleModule

FIXED_DATE = (1980, 1, 1, 0, 0, 0)


def package_files(src, exclude):
    """Relative paths of the files to package, sorted, without the excluded names."""
    found = []
    for root, dirs, files in os.walk(src):
        dirs[:] = sorted(d for d in dirs if not any(fnmatch.fnmatch(d, p) for p in exclude))
        for name in files:
            if not any(fnmatch.fnmatch(name, p) for p in exclude):
                found.append(os.path.relpath(os.path.join(root, name), src))
    return sorted(found)


def build_zip(src, files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for relative in files:
            info = zipfile.ZipInfo(relative, date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with open(os.path.join(src, relative), "rb") as source:
                archive.writestr(info, source.read())
    return buffer.getvalue()


def digest(data):
    return base64.b64encode(hashlib.sha256(data).digest()).decode() if data is not None else None


def read_existing(dest):
    if not os.path.isfile(dest):
        return None
    with open(dest, "rb") as existing:
        return existing.read()


def main():
    module = AnsibleModule(
        argument_spec=dict(
            src=dict(type="path", required=True),
            dest=dict(type="path", required=True),
            exclude=dict(type="list", elements="str", default=["__pycache__", "*.pyc", ".*"]),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        supports_check_mode=True,
    )
    src, dest, state = module.params["src"], module.params["dest"], module.params["state"]
    before = digest(read_existing(dest))

    if state == "absent":
        changed = before is not None
        if changed and not module.check_mode:
            os.remove(dest)
        result = dict(changed=changed, dest=dest)
        if module._diff:
            result["diff"] = dict(before={"sha256": before}, after={"sha256": None})
        module.exit_json(**result)

    if not os.path.isdir(src):
        module.fail_json(msg=f"src '{src}' is not a directory.")
    files = package_files(src, module.params["exclude"])
    if not files:
        module.fail_json(msg=f"src '{src}' has no files to package.")
    data = build_zip(src, files)
    after = digest(data)
    changed = after != before
    if changed and not module.check_mode:
        os.makedirs(os.path.dirname(os.path.abspath(dest)), exist_ok=True)
        temp = f"{dest}.tmp"
        with open(temp, "wb") as out:
            out.write(data)
        module.atomic_move(temp, dest)
    result = dict(changed=changed, dest=dest, sha256=after, files=files)
    if module._diff:
        result["diff"] = dict(before={"sha256": before}, after={"sha256": after})
    module.exit_json(**result)


if __name__ == "__main__":
    main()
