# -*- coding: utf-8 -*-

# Copyright: Contributors to the activeactive.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: aws_regions
short_description: The AWS regions where a service is offered, from the installed botocore
version_added: 0.1.0
description:
  - Returns the region names in which botocore knows a service endpoint, across the commercial, China and
    GovCloud partitions.
  - Reads botocore's bundled endpoint data and makes no AWS call, so a play can validate its inventory
    before it touches AWS.
options:
  _terms:
    description:
      - The botocore service names (for example V(dynamodb), V(lambda)).
      - Only regions that offer all of them are returned.
    type: list
    elements: str
    required: true
author:
  - activeactive.aws maintainers (@activeactive)
"""

EXAMPLES = r"""
- name: Fail early on a region name DynamoDB does not know
  ansible.builtin.assert:
    that: region in lookup('activeactive.aws.aws_regions', 'dynamodb', 'lambda', wantlist=True)
"""

RETURN = r"""
_raw:
  description: The region names, sorted.
  type: list
  elements: str
  sample: ["ap-southeast-1", "eu-west-1", "us-east-1"]
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

try:
    import botocore.session
except ImportError:
    botocore = None

PARTITIONS = ("aws", "aws-cn", "aws-us-gov")


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        if botocore is None:
            raise AnsibleLookupError("The activeactive.aws.aws_regions lookup requires botocore.")
        if not terms:
            raise AnsibleLookupError("Name at least one service, for example 'dynamodb'.")
        session = botocore.session.get_session()
        regions = None
        for service in terms:
            offered = set()
            for partition in PARTITIONS:
                offered.update(session.get_available_regions(service, partition_name=partition))
            if not offered:
                raise AnsibleLookupError(f"botocore knows no regions for a service named '{service}'.")
            regions = offered if regions is None else regions & offered
        return sorted(regions)
