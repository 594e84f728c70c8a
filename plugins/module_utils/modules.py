# -*- coding: utf-8 -*-

# Copyright: Contributors to the activeactive.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from ansible_collections.amazon.aws.plugins.module_utils.common import set_collection_info
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.activeactive.aws.plugins.module_utils.common import (
    ACTIVEACTIVE_AWS_COLLECTION_NAME,
    ACTIVEACTIVE_AWS_COLLECTION_VERSION,
)


class AnsibleActiveActiveModule(AnsibleAWSModule):
    """AnsibleAWSModule that names this collection in the botocore user agent and in failures."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        set_collection_info(
            collection_name=ACTIVEACTIVE_AWS_COLLECTION_NAME,
            collection_version=ACTIVEACTIVE_AWS_COLLECTION_VERSION,
        )

    def exit_with_resource(self, changed, key, before, after, present):
        """Exit with ``changed``, the resource (``after``) as ``key`` when ``present``, and in diff mode
        ``before`` and ``after`` as the diff."""
        result = {"changed": changed}
        if present:
            result[key] = after
        if self._diff:
            result["diff"] = {"before": before, "after": after}
        self.exit_json(**result)
