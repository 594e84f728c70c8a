#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the activeactive.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# ruff: noqa: E402  (Ansible modules import after their documentation)

DOCUMENTATION = r"""
---
module: global_table_info
version_added: 0.1.0
short_description: Describe a DynamoDB global table as every one of its regions sees it
description:
  - Describes a DynamoDB global table (version 2019.11.21) starting from the table in O(region), then reads every
    replica in its own region.
  - Returns the key schema, billing mode, stream and the list of replicas with their statuses, plus each region's
    own settings (deletion protection, point-in-time recovery, tags, table class, KMS key), which DynamoDB keeps
    per region.
  - A regional table without replicas is returned with only its own region.
author:
  - activeactive.aws contributors (!UNKNOWN)
options:
  table:
    description:
      - The table's name, or its ARN in O(region).
    type: str
    required: true
    aliases: ["name"]
  region:
    description:
      - The region to start from. Any region of the global table will do; its view of the replica list is used.
    type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Describe the sessions global table
  activeactive.aws.global_table_info:
    table: sessions
    region: us-east-1
  register: sessions

- name: Every region of the table is ACTIVE
  ansible.builtin.assert:
    that:
      - sessions.global_table.replicas | map(attribute='replica_status') | unique == ['ACTIVE']

- name: Point-in-time recovery is on in every region
  ansible.builtin.assert:
    that:
      - sessions.global_table.regions.values() | map(attribute='point_in_time_recovery') is all
"""

RETURN = r"""
exists:
  description: Whether the table exists in O(region).
  returned: always
  type: bool
  sample: true
global_table:
  description: The table as every region sees it; empty when it does not exist in O(region).
  returned: always
  type: dict
  contains:
    table_name:
      description: The table's name.
      type: str
      returned: when the table exists
      sample: sessions
    region:
      description: The region the description started from.
      type: str
      returned: when the table exists
      sample: us-east-1
    table_arn:
      description: The table's ARN in the starting region.
      type: str
      returned: when the table exists
      sample: arn:aws:dynamodb:us-east-1:123456789012:table/sessions
    table_status:
      description: The table's status in the starting region.
      type: str
      returned: when the table exists
      sample: ACTIVE
    global_table_version:
      description: The global tables version; absent for a table without replicas.
      type: str
      returned: when the table has replicas
      sample: "2019.11.21"
    key_schema:
      description: The table's key schema.
      type: list
      elements: dict
      returned: when the table exists
      sample: [{"attribute_name": "id", "key_type": "HASH"}]
    attribute_definitions:
      description: The table's key attributes and their types.
      type: list
      elements: dict
      returned: when the table exists
      sample: [{"attribute_name": "id", "attribute_type": "S"}]
    billing_mode:
      description: V(PAY_PER_REQUEST) or V(PROVISIONED).
      type: str
      returned: when the table exists
      sample: PAY_PER_REQUEST
    provisioned_throughput:
      description: The table's provisioned read and write capacity (zero for on-demand tables).
      type: dict
      returned: when the table exists
      sample: {"read_capacity_units": 0, "write_capacity_units": 0}
    stream_specification:
      description: The table's stream settings; DynamoDB enables C(NEW_AND_OLD_IMAGES) for a global table.
      type: dict
      returned: when the table has a stream
      sample: {"stream_enabled": true, "stream_view_type": "NEW_AND_OLD_IMAGES"}
    latest_stream_arn:
      description: The ARN of the table's current stream in the starting region.
      type: str
      returned: when the table has a stream
      sample: arn:aws:dynamodb:us-east-1:123456789012:table/sessions/stream/2024-01-01T00:00:00.000
    replicas:
      description:
        - Every region of the table, the starting region first, with its status as the starting region reports it
          (the table status for the starting region itself).
      type: list
      elements: dict
      returned: when the table exists
      sample:
        - {"region_name": "us-east-1", "replica_status": "ACTIVE"}
        - {"region_name": "eu-west-1", "replica_status": "ACTIVE"}
    regions:
      description:
        - Each region's own view and settings, keyed by region, read in that region.
        - Settings that cannot be read yet (a replica still being created answers only DescribeTable) are null.
      type: dict
      returned: when the table exists
      sample:
        eu-west-1:
          table_status: ACTIVE
          table_arn: arn:aws:dynamodb:eu-west-1:123456789012:table/sessions
          replica_status: ACTIVE
          key_schema: [{"attribute_name": "id", "key_type": "HASH"}]
          billing_mode: PAY_PER_REQUEST
          stream_specification: {"stream_enabled": true, "stream_view_type": "NEW_AND_OLD_IMAGES"}
          deletion_protection: false
          point_in_time_recovery: true
          table_class: STANDARD
          kms_master_key_id: null
          read_capacity_override: null
          global_secondary_indexes: []
          tags: {"Service": "sessions"}
          sees_replicas: [{"region_name": "us-east-1", "replica_status": "ACTIVE"}]
"""

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.activeactive.aws.plugins.module_utils.dynamodb import (
    AnsibleDynamoDBError,
    base_capacity,
    check_region,
    describe_table,
    dynamodb_regions,
    parse_table,
    read_region,
    replica_settings,
)
from ansible_collections.activeactive.aws.plugins.module_utils.modules import AnsibleActiveActiveModule


def _snake(value):
    if isinstance(value, list):
        return [camel_dict_to_snake_dict(v) if isinstance(v, dict) else v for v in value]
    if isinstance(value, dict):
        return camel_dict_to_snake_dict(value)
    return value


def region_view(region, start_region, start_table, region_table, pitr, tags):
    """One region's own view of the table plus its per-region settings."""
    settings = replica_settings(region, start_table, region_table, pitr, tags, region == start_region)
    view = dict(settings)
    view.pop("region_name")
    view.pop("is_home_region")
    if region_table is None:
        view["table_status"] = None
        return view
    view["key_schema"] = _snake(region_table.get("KeySchema") or [])
    view["billing_mode"] = base_capacity(region_table)["billing_mode"]
    if region_table.get("StreamSpecification"):
        view["stream_specification"] = _snake(region_table["StreamSpecification"])
    if region_table.get("LatestStreamArn"):
        view["latest_stream_arn"] = region_table["LatestStreamArn"]
    view["sees_replicas"] = [
        {"region_name": r.get("RegionName"), "replica_status": r.get("ReplicaStatus")}
        for r in region_table.get("Replicas") or []
    ]
    return view


def describe_global_table(module, name, start_region):
    start_client = module.client("dynamodb", region=start_region)
    start_table = describe_table(start_client, name)
    if start_table is None:
        return None

    replicas = [{"region_name": start_region, "replica_status": start_table.get("TableStatus")}]
    regions = {}
    for entry in start_table.get("Replicas") or []:
        item = camel_dict_to_snake_dict(entry)
        replicas.append(item)

    for item in replicas:
        region = item["region_name"]
        client = start_client if region == start_region else module.client("dynamodb", region=region)
        region_table, pitr, tags = read_region(client, name, start_table if region == start_region else None)
        regions[region] = region_view(region, start_region, start_table, region_table, pitr, tags)

    result = {
        "table_name": start_table.get("TableName"),
        "region": start_region,
        "table_arn": start_table.get("TableArn"),
        "table_status": start_table.get("TableStatus"),
        "key_schema": _snake(start_table.get("KeySchema") or []),
        "attribute_definitions": _snake(start_table.get("AttributeDefinitions") or []),
        "billing_mode": base_capacity(start_table)["billing_mode"],
        "provisioned_throughput": {
            "read_capacity_units": (start_table.get("ProvisionedThroughput") or {}).get("ReadCapacityUnits", 0),
            "write_capacity_units": (start_table.get("ProvisionedThroughput") or {}).get("WriteCapacityUnits", 0),
        },
        "replicas": replicas,
        "regions": regions,
    }
    if start_table.get("GlobalTableVersion"):
        result["global_table_version"] = start_table["GlobalTableVersion"]
    if start_table.get("StreamSpecification"):
        result["stream_specification"] = _snake(start_table["StreamSpecification"])
    if start_table.get("LatestStreamArn"):
        result["latest_stream_arn"] = start_table["LatestStreamArn"]
    return result


def main():
    argument_spec = dict(
        table=dict(type="str", required=True, aliases=["name"]),
    )
    module = AnsibleActiveActiveModule(argument_spec=argument_spec, supports_check_mode=True)

    name, arn_region, problem = parse_table(module.params["table"])
    region = module.region
    if not problem and arn_region and region and arn_region != region:
        problem = f"table ARN '{module.params['table']}' names region {arn_region} but region is {region}"
    region = region or arn_region
    problem = problem or check_region("region", region, dynamodb_regions())
    if problem:
        module.fail_json(msg=problem)

    try:
        table = describe_global_table(module, name, region)
    except AnsibleDynamoDBError as e:
        module.fail_json_aws_error(e)

    module.exit_json(changed=False, exists=table is not None, global_table=table or {})


if __name__ == "__main__":
    main()
