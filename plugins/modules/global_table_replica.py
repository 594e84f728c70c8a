#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the activeactive.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# ruff: noqa: E402  (Ansible modules import after their documentation)

DOCUMENTATION = r"""
---
module: global_table_replica
version_added: 0.1.0
short_description: Manage one region's replica of a DynamoDB global table
description:
  - Manages one replica of a DynamoDB global table (version 2019.11.21, multi-Region eventual consistency) and the
    settings that DynamoDB keeps per region.
  - The replica lives in O(region); it is created from the table in O(home_region). Each host of an inventory that
    has one host per region can therefore run this module for its own region, in parallel with the others.
  - When O(region) equals O(home_region) the module sends no replica action at all. It then manages the home
    table's own per-region settings (O(deletion_protection), O(point_in_time_recovery), O(table_class), O(tags)),
    so that one task can run unchanged on every region host, the home region's included. The home table must
    already exist (create it with M(community.aws.dynamodb_table)); this module never creates or deletes it.
  - DynamoDB takes one replica creation or deletion at a time and refuses other changes to the table while one
    is in progress. The module then waits for its turn (retrying C(ResourceInUseException) and
    C(LimitExceededException) "... simultaneously" with backoff) until O(wait_timeout), so a play over several
    region hosts converges without C(serial=1).
  - A new replica is watched through its own entry in the home table's C(Replicas) list. An entry that has not
    appeared yet just after the create request counts as C(CREATING); one that never appears (the home table is
    C(ACTIVE) again without it a minute after the request) is reported as a failed creation. The statuses
    C(CREATION_FAILED), C(INACCESSIBLE_ENCRYPTION_CREDENTIALS), C(REGION_DISABLED), C(REPLICATION_NOT_AUTHORIZED)
    and C(ARCHIVED) fail the task with AWS's C(ReplicaStatusDescription).
  - Before any change the module refuses what AWS would refuse, with AWS's wording where AWS has one. A
    PROVISIONED table whose writes are not autoscaled (no Application Auto Scaling write target) fails with
    C(Table write capacity should either be Pay-Per-Request or AutoScaled.). A region or home region that
    botocore does not know for DynamoDB, or a pair of regions in different partitions, fails before any call.
  - Multi-Region strong consistency (MRSC) global tables are not supported; the module fails on them.
author:
  - activeactive.aws contributors (!UNKNOWN)
options:
  table:
    description:
      - The table's name, or the ARN of the table in the home region.
    type: str
    required: true
    aliases: ["name"]
  home_region:
    description:
      - The region of the table the replica is created from (sent the C(ReplicaUpdates) requests).
      - Required unless O(table) is an ARN, whose region is then the home region. When both are given they
        must agree.
    type: str
  region:
    description:
      - The region of the replica this task manages.
      - When it equals O(home_region) the task manages the home table's own per-region settings and sends no
        replica action; O(state=absent) is then refused, since it would mean deleting the home table.
    type: str
  state:
    description:
      - V(present) creates the replica in O(region) if it is missing and makes its settings match.
      - V(absent) removes the replica in O(region). This deletes that region's copy of the data; the data remains
        in the other regions. A replica with deletion protection enabled is not removed unless
        O(deletion_protection=false) is set in the same task, which lifts the protection first.
    type: str
    choices: ["present", "absent"]
    default: present
  deletion_protection:
    description:
      - Whether the table in O(region) is protected against deletion. This is a per-region setting.
      - A protected replica cannot be removed. Set O(deletion_protection=false) first, or together with
        O(state=absent).
      - Not changed when not set.
    type: bool
  point_in_time_recovery:
    description:
      - Whether point-in-time recovery (continuous backups) is enabled for the table in O(region). This is a
        per-region setting.
      - Not changed when not set.
    type: bool
  kms_master_key_id:
    description:
      - The KMS key (key ID, key ARN, alias name or alias ARN, valid in O(region)) that encrypts the replica.
      - V(alias/aws/dynamodb) means the AWS managed key, which is also what a replica uses when no key is given.
      - Used when the replica is created. The key of an existing replica cannot be changed; a different key fails
        the task with a message saying the replica must be recreated, unless O(recreate=true).
      - In the home region the key is only compared; a different key fails the task.
    type: str
  recreate:
    description:
      - Allow the module to delete and create the replica again when O(kms_master_key_id) differs from the
        existing replica's key. The replica's data in O(region) is dropped and copied again from the other
        regions; the replica must not be protected against deletion.
      - Never applies to the home table.
    type: bool
    default: false
  table_class:
    description:
      - The table class of the table in O(region).
      - For a replica this is its C(TableClassOverride). In the home region it is the table's own
        C(TableClass); DynamoDB may apply that to replicas that do not override it.
      - Not changed when not set.
    type: str
    choices: ["STANDARD", "STANDARD_INFREQUENT_ACCESS"]
  read_capacity_override:
    description:
      - The read capacity units of the replica, for PROVISIONED tables only. A replica that does not override it
        uses the table's read capacity; setting the table's value is then no change.
      - In the home region the read capacity is the table's own provisioned throughput, which this module does
        not change; a different value fails the task.
    type: int
  global_secondary_indexes:
    description:
      - Read capacity overrides of the replica's global secondary indexes, for PROVISIONED tables only.
      - Indexes not listed are left as they are.
    type: list
    elements: dict
    suboptions:
      index_name:
        description:
          - The name of an existing global secondary index of the table.
        type: str
        required: true
      read_capacity_override:
        description:
          - The read capacity units of that index in O(region).
        type: int
        required: true
  wait:
    description:
      - Wait until the replica is C(ACTIVE) (or gone, for O(state=absent)) before returning.
      - Settings applied in the replica's own region (O(deletion_protection), O(point_in_time_recovery), O(tags))
        need an C(ACTIVE) replica. With O(wait=false) they are skipped with a warning while the replica is being
        created; a later run applies them.
      - Even with O(wait=false) the module waits for its turn when another replica change holds the table, and
        a recreation (O(recreate=true)) waits for the old replica to be gone.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait in total, for a turn and for the replica, before failing.
      - A replica of an empty table takes about a minute; one of a table with data takes longer (hours for
        large tables), so raise this for big tables.
    type: int
    default: 1800
notes:
  - The replica's per-region settings are applied with clients in O(region); replica creation, deletion and
    overrides (O(table_class), O(read_capacity_override), O(global_secondary_indexes)) are sent to O(home_region).
  - Tags are per region; O(tags) and O(purge_tags) manage the tags of the table in O(region) only.
  - Removing a replica does not remove its Application Auto Scaling targets or policies.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - amazon.aws.tags
"""

EXAMPLES = r"""
# Run over a region inventory (one host per region, with connection: local and aws_region set), so
# each host manages its own region. The home region's host manages the home table's settings; the
# other hosts create their replicas, taking turns as DynamoDB requires.
- name: Replica of sessions in this host's region
  activeactive.aws.global_table_replica:
    table: sessions
    home_region: us-east-1
    region: "{{ aws_region }}"
    deletion_protection: true
    point_in_time_recovery: true
    tags:
      Service: sessions
      Region: "{{ aws_region }}"

- name: Add a replica in eu-west-1, encrypted with a customer managed key there
  activeactive.aws.global_table_replica:
    table: sessions
    home_region: us-east-1
    region: eu-west-1
    kms_master_key_id: alias/sessions
    table_class: STANDARD_INFREQUENT_ACCESS

- name: Give a provisioned table's replica more read capacity than the other regions
  activeactive.aws.global_table_replica:
    table: arn:aws:dynamodb:us-east-1:123456789012:table/orders
    region: ap-southeast-1
    read_capacity_override: 50
    global_secondary_indexes:
      - index_name: by-customer
        read_capacity_override: 20

- name: Remove the eu-west-1 replica, lifting its deletion protection first (data stays in the other regions)
  activeactive.aws.global_table_replica:
    table: sessions
    home_region: us-east-1
    region: eu-west-1
    state: absent
    deletion_protection: false
"""

RETURN = r"""
replica:
  description:
    - The settings of the table in O(region) after the task (predicted in check mode).
    - Empty when there is no replica in O(region).
  returned: always
  type: dict
  contains:
    region_name:
      description: The region of this replica.
      type: str
      returned: success
      sample: eu-west-1
    is_home_region:
      description: Whether O(region) is the home region.
      type: bool
      returned: success
      sample: false
    replica_status:
      description: The replica's status as the home table reports it (the table status for the home region).
      type: str
      returned: success
      sample: ACTIVE
    replica_status_description:
      description: AWS's explanation of the replica's status, when it gives one.
      type: str
      returned: when AWS gives one
      sample: "Replica creation failed: the KMS key is disabled"
    table_status:
      description: The table's status as its own region describes it.
      type: str
      returned: success
      sample: ACTIVE
    table_arn:
      description: The ARN of the table in O(region).
      type: str
      returned: success
      sample: arn:aws:dynamodb:eu-west-1:123456789012:table/sessions
    kms_master_key_id:
      description: The ARN of the customer managed KMS key of the replica; null for the AWS managed or owned key.
      type: str
      returned: success
      sample: arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
    table_class:
      description: The table class in O(region).
      type: str
      returned: success
      sample: STANDARD
    read_capacity_override:
      description: The replica's read capacity override; null when it uses the table's read capacity.
      type: int
      returned: success
      sample: 50
    global_secondary_indexes:
      description: The read capacity overrides of the replica's global secondary indexes.
      type: list
      elements: dict
      returned: success
      sample: [{"index_name": "by-customer", "read_capacity_override": 20}]
    deletion_protection:
      description: Whether deletion protection is enabled in O(region).
      type: bool
      returned: success
      sample: true
    point_in_time_recovery:
      description: Whether point-in-time recovery is enabled in O(region); null while it cannot be read yet.
      type: bool
      returned: success
      sample: true
    tags:
      description: The tags of the table in O(region).
      type: dict
      returned: success
      sample: {"Service": "sessions"}
replicas:
  description:
    - Every region of the global table as the home table reports it, the home region first, each with its status.
    - The entries other than the home region are the home table's C(Replicas) list, snake_cased.
  returned: always
  type: list
  elements: dict
  sample:
    - {"region_name": "us-east-1", "replica_status": "ACTIVE", "is_home_region": true}
    - {"region_name": "eu-west-1", "replica_status": "ACTIVE", "is_home_region": false}
    - {"region_name": "ap-southeast-1", "replica_status": "CREATING", "is_home_region": false}
table_name:
  description: The table's name.
  returned: always
  type: str
  sample: sessions
home_region:
  description: The home region the replica actions were sent to.
  returned: always
  type: str
  sample: us-east-1
global_table_version:
  description: The global tables version; absent while the table has no replica.
  returned: when the table has replicas
  type: str
  sample: "2019.11.21"
table_status:
  description: The status of the table in the home region.
  returned: always
  type: str
  sample: ACTIVE
"""

import time

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.activeactive.aws.plugins.module_utils.dynamodb import (
    DEFAULT_KMS_ALIAS,
    AnsibleDynamoDBError,
    apply_regional_settings,
    base_capacity,
    classify_replica,
    create_action,
    describe_kms_key,
    describe_table,
    describe_write_scalable_targets,
    dynamodb_regions,
    empty_plan,
    error_code_and_message,
    find_replica,
    has_regional_changes,
    is_already_replica_error,
    is_not_member_error,
    new_replica_settings,
    normalize_kms_key,
    plan_changes,
    plan_has_changes,
    predict_settings,
    read_region,
    regional_plan,
    replica_settings,
    update_table_in_turn,
    validate_replica_params,
    wait_replica_active,
    wait_replica_gone,
    wait_table_active,
    wait_table_gone,
    write_capacity_problem,
)
from ansible_collections.activeactive.aws.plugins.module_utils.modules import AnsibleActiveActiveModule


class ReplicaManager:
    """Carries out one task for one region: reads, compares, changes, waits."""

    def __init__(self, module, name, home_region, region, deadline):
        self.module = module
        self.name = name
        self.home_region = home_region
        self.region = region
        self.is_home = region == home_region
        self.deadline = deadline
        self.check_mode = module.check_mode
        self.wait = module.params["wait"]
        self.home_client = module.client("dynamodb", region=home_region)
        self.region_client = self.home_client if self.is_home else module.client("dynamodb", region=region)
        self._kms_client = None
        self.warnings = []

    # -- reading ---------------------------------------------------------------------------------------

    def kms_client(self):
        if self._kms_client is None:
            self._kms_client = self.module.client("kms", region=self.region)
        return self._kms_client

    def read_home(self):
        table = describe_table(self.home_client, self.name)
        if table is None:
            raise AnsibleDynamoDBError(
                message=f"Table {self.name} not found in home region {self.home_region}. Create it first "
                "(for example with community.aws.dynamodb_table)."
            )
        if table.get("MultiRegionConsistency") == "STRONG":
            raise AnsibleDynamoDBError(
                message=f"Table {self.name} is a multi-Region strong consistency (MRSC) global table; its replicas "
                "can only be created and removed all at once, which this module does not do."
            )
        return table

    def read_settings(self, home_table, desired_kms=None):
        region_table = home_table if self.is_home else None
        region_table, pitr, tags = read_region(self.region_client, self.name, region_table)
        settings = replica_settings(self.region, home_table, region_table, pitr, tags, self.is_home)
        settings["kms_master_key_id"] = self.normalize_current_kms(settings["kms_master_key_id"], desired_kms)
        return region_table, settings

    def normalize_current_kms(self, current, desired_kms):
        """The current key as an ARN, or None for the AWS managed/owned key.

        Looked up (kms:DescribeKey in the replica's region) only when a key is asked for and the two differ as
        written, so an alias, a key ID and an ARN of the same key compare equal.
        """
        if not current or desired_kms is None or current == desired_kms:
            return current
        metadata = describe_kms_key(self.kms_client(), current)
        if not metadata:
            return current
        if metadata.get("KeyManager") == "AWS":
            return None
        return metadata.get("Arn") or current

    def resolve_desired_kms(self, kms):
        """The ARN of the requested key in the replica's region (None for the default key)."""
        if kms is None:
            return None
        if normalize_kms_key(kms) is None:
            return DEFAULT_KMS_ALIAS
        metadata = describe_kms_key(self.kms_client(), kms)
        if metadata is None:
            raise AnsibleDynamoDBError(message=f"KMS key {kms} not found in region {self.region}")
        if metadata.get("KeyManager") == "AWS":
            return DEFAULT_KMS_ALIAS
        return metadata["Arn"]

    # -- pieces ----------------------------------------------------------------------------------------

    def check_write_capacity(self, home_table, base):
        if base["billing_mode"] != "PROVISIONED":
            return
        client = self.module.client("application-autoscaling", region=self.home_region)
        table_targets = describe_write_scalable_targets(
            client, [f"table/{self.name}"], "dynamodb:table:WriteCapacityUnits"
        )
        gsis = [i["IndexName"] for i in home_table.get("GlobalSecondaryIndexes") or []]
        missing = set()
        if gsis:
            found = describe_write_scalable_targets(
                client, [f"table/{self.name}/index/{i}" for i in gsis], "dynamodb:index:WriteCapacityUnits"
            )
            have = {t["ResourceId"].rsplit("/", 1)[-1] for t in found}
            missing = set(gsis) - have
        problem = write_capacity_problem(base, bool(table_targets), missing)
        if problem:
            raise AnsibleDynamoDBError(message=f"Cannot replicate table {self.name} to {self.region}: {problem}")

    def create_replica(self, action):
        try:
            update_table_in_turn(
                self.home_client,
                self.name,
                self.deadline,
                f"create the replica in {self.region}",
                ReplicaUpdates=[{"Create": action}],
            )
        except AnsibleDynamoDBError as e:
            code, message = error_code_and_message(e)
            if not is_already_replica_error(code, message):
                raise
            # Someone else created it meanwhile, or a same-name table appeared in the region.
            if find_replica(describe_table(self.home_client, self.name), self.region) is None:
                raise
            return False
        return True

    def delete_replica(self):
        try:
            update_table_in_turn(
                self.home_client,
                self.name,
                self.deadline,
                f"delete the replica in {self.region}",
                ReplicaUpdates=[{"Delete": {"RegionName": self.region}}],
            )
        except AnsibleDynamoDBError as e:
            code, message = error_code_and_message(e)
            if is_not_member_error(code, message):
                return False
            raise
        return True

    def apply_regional(self, plan, region_table):
        if not has_regional_changes(plan):
            return
        apply_regional_settings(self.region_client, self.name, region_table["TableArn"], plan, self.deadline, self.wait)

    def lift_deletion_protection(self):
        update_table_in_turn(
            self.region_client,
            self.name,
            self.deadline,
            f"lift the deletion protection of table {self.name} in {self.region}",
            DeletionProtectionEnabled=False,
        )
        wait_table_active(
            self.region_client, self.name, self.deadline, f"table {self.name} in {self.region} to be ACTIVE"
        )

    def wait_region_free(self, region_table):
        """A leftover table of a removed replica must be gone before the region can be added again."""
        if region_table.get("TableStatus") != "DELETING":
            raise AnsibleDynamoDBError(
                message=f"A table named {self.name} already exists in region {self.region} and is not a replica of "
                f"the global table in {self.home_region}. DynamoDB cannot create a replica over it; delete or rename "
                "that table first (this module never deletes a table that is not its replica)."
            )
        if not self.wait:
            raise AnsibleDynamoDBError(
                message=f"Table {self.name} in region {self.region} is still being deleted (a replica removed "
                "earlier); run again once it is gone, or use wait=true."
            )
        wait_table_gone(
            self.region_client, self.name, self.deadline, f"the old table {self.name} in {self.region} to be deleted"
        )

    # -- states ----------------------------------------------------------------------------------------

    def desired(self):
        params = self.module.params
        return {
            "kms_master_key_id": params["kms_master_key_id"],
            "table_class": params["table_class"],
            "read_capacity_override": params["read_capacity_override"],
            "global_secondary_indexes": params["global_secondary_indexes"],
            "deletion_protection": params["deletion_protection"],
            "point_in_time_recovery": params["point_in_time_recovery"],
            "tags": params["tags"],
            "purge_tags": params["purge_tags"],
        }

    def fail_on_problems(self, plan):
        if plan["problems"]:
            raise AnsibleDynamoDBError(message=" ".join(plan["problems"]))

    def ensure_present(self):
        home_table = self.read_home()
        base = base_capacity(home_table)
        desired = self.desired()

        if self.is_home:
            if home_table.get("TableStatus") != "ACTIVE" and self.wait and not self.check_mode:
                home_table = wait_table_active(
                    self.home_client, self.name, self.deadline, f"table {self.name} in {self.home_region} to be ACTIVE"
                )
            desired["kms_master_key_id"] = self.resolve_desired_kms(desired["kms_master_key_id"])
            region_table, before = self.read_settings(home_table, desired["kms_master_key_id"])
            plan = plan_changes(before, desired, True, base, self.name)
            self.fail_on_problems(plan)
            if not plan_has_changes(plan):
                return False, before, before
            after = predict_settings(before, plan, desired)
            if self.check_mode:
                return True, before, after
            if plan["table_class"] is not None:
                update_table_in_turn(
                    self.home_client,
                    self.name,
                    self.deadline,
                    f"change the table class of {self.name}",
                    TableClass=plan["table_class"],
                )
                if self.wait:
                    wait_table_active(self.home_client, self.name, self.deadline, f"table {self.name} to be ACTIVE")
            self.apply_regional(plan, region_table)
            return True, before, after

        entry = find_replica(home_table, self.region)
        if entry is not None and entry.get("ReplicaStatus") == "DELETING" and not self.check_mode:
            # Someone removes it right now: let that finish, then create it again.
            if not self.wait:
                raise AnsibleDynamoDBError(
                    message=f"The replica of table {self.name} in {self.region} is being deleted; run again once it "
                    "is gone, or use wait=true."
                )
            wait_replica_gone(self.home_client, self.region_client, self.name, self.region, self.deadline)
            home_table = self.read_home()
            entry = None
        if entry is None:
            return self.create(home_table, base, desired)

        state, detail = classify_replica(entry, home_table.get("TableStatus"))
        if state == "failed":
            raise AnsibleDynamoDBError(message=f"Replica of table {self.name} in region {self.region}: {detail}")
        if state == "pending" and self.wait and not self.check_mode:
            home_table = wait_replica_active(self.home_client, self.name, self.region, self.deadline)
            wait_table_active(
                self.region_client, self.name, self.deadline, f"table {self.name} in {self.region} to be ACTIVE"
            )
            state = "active"

        desired["kms_master_key_id"] = self.resolve_desired_kms(desired["kms_master_key_id"])
        region_table, before = self.read_settings(home_table, desired["kms_master_key_id"])
        plan = plan_changes(before, desired, False, base, self.name, recreate_allowed=self.module.params["recreate"])
        self.fail_on_problems(plan)
        if not plan_has_changes(plan):
            return False, before, before
        after = predict_settings(before, plan, desired)

        if plan["recreate"]:
            return self.recreate(home_table, base, desired, before, after)

        # A replica being created (or deleted) answers nothing but DescribeTable in its region.
        reachable = (region_table or {}).get("TableStatus") not in (None, "CREATING", "DELETING")
        if self.check_mode and (reachable or self.wait):
            return True, before, after
        if not reachable:
            self.warnings.append(
                f"The replica of table {self.name} in {self.region} is {before['replica_status']}; its settings "
                "were not changed. Run again once it is ACTIVE (or use wait=true)."
            )
            return False, before, before

        if plan["replica_update"]:
            update = dict(plan["replica_update"], RegionName=self.region)
            update_table_in_turn(
                self.home_client,
                self.name,
                self.deadline,
                f"update the replica in {self.region}",
                ReplicaUpdates=[{"Update": update}],
            )
            if self.wait:
                wait_replica_active(self.home_client, self.name, self.region, self.deadline)
        self.apply_regional(plan, region_table)
        return True, before, after

    def create(self, home_table, base, desired, before=None):
        region_table = describe_table(self.region_client, self.name)
        if region_table is not None and not (self.check_mode and region_table.get("TableStatus") == "DELETING"):
            self.wait_region_free(region_table)
        self.check_write_capacity(home_table, base)
        desired["kms_master_key_id"] = self.resolve_desired_kms(desired["kms_master_key_id"])
        start = new_replica_settings(self.region, desired, base)
        plan = plan_changes(start, desired, False, base, self.name)
        self.fail_on_problems(plan)
        after = predict_settings(start, dict(empty_plan(), **regional_plan(plan)), desired)
        after["replica_status"] = "ACTIVE" if self.wait else "CREATING"
        if self.check_mode:
            return True, before, after

        # Send the key as the user named it (AWS resolves aliases in the replica's region); never the default key.
        kms = self.module.params["kms_master_key_id"] if normalize_kms_key(desired["kms_master_key_id"]) else None
        action = create_action(self.region, dict(desired, kms_master_key_id=kms), base)
        sent_at = time.monotonic()
        created = self.create_replica(action)
        if not self.wait:
            if has_regional_changes(plan):
                self.warnings.append(
                    f"The replica of table {self.name} in {self.region} is being created; deletion_protection, "
                    "point_in_time_recovery and tags are applied only to an ACTIVE replica. Run again (or use "
                    "wait=true) to apply them."
                )
            return created, before, predict_settings(start, empty_plan(), desired)
        home_table = wait_replica_active(
            self.home_client, self.name, self.region, self.deadline, create_sent_at=sent_at if created else None
        )
        wait_table_active(
            self.region_client, self.name, self.deadline, f"table {self.name} in {self.region} to be ACTIVE"
        )
        # The replica was created with the requested key and overrides; what is left is regional.
        region_table, current = self.read_settings(home_table)
        plan = plan_changes(current, dict(desired, kms_master_key_id=None), False, base, self.name)
        self.apply_regional(plan, region_table)
        return created or has_regional_changes(plan), before, after

    def recreate(self, home_table, base, desired, before, after):
        if before["deletion_protection"] and desired["deletion_protection"] is not False:
            raise AnsibleDynamoDBError(message=self.protected_message("recreated"))
        if self.check_mode:
            after["replica_status"] = "ACTIVE" if self.wait else "CREATING"
            return True, before, after
        if before["deletion_protection"]:
            self.lift_deletion_protection()
        self.delete_replica()
        wait_replica_gone(self.home_client, self.region_client, self.name, self.region, self.deadline)
        home_table = self.read_home()
        after_create = self.create(home_table, base, desired, before)[2]
        return True, before, after_create

    def protected_message(self, what):
        return (
            f"The replica of table {self.name} in region {self.region} is protected against deletion (deletion "
            f"protection is enabled in {self.region}), so it cannot be {what}. Set deletion_protection: false first "
            "(in this task, together with state: absent, or in an earlier task), then run again. AWS would refuse "
            "with: Resource cannot be deleted as it is currently protected against deletion. Disable deletion "
            "protection first."
        )

    def ensure_absent(self):
        home_table = describe_table(self.home_client, self.name)
        if home_table is None:
            return False, None, None
        entry = find_replica(home_table, self.region)
        if entry is None:
            # Not a member. A same-name table there is not ours to delete; a leftover still being deleted is fine.
            region_table = describe_table(self.region_client, self.name)
            leftover = region_table is not None and region_table.get("TableStatus") == "DELETING"
            if leftover and self.wait and not self.check_mode:
                wait_table_gone(
                    self.region_client,
                    self.name,
                    self.deadline,
                    f"table {self.name} in {self.region} to be deleted",
                )
            return False, None, None

        before = self.read_settings(home_table)[1]
        if entry.get("ReplicaStatus") == "DELETING":
            if self.wait and not self.check_mode:
                wait_replica_gone(self.home_client, self.region_client, self.name, self.region, self.deadline)
            return False, before, None

        if before["deletion_protection"]:
            if self.module.params["deletion_protection"] is not False:
                raise AnsibleDynamoDBError(message=self.protected_message("removed"))
            if not self.check_mode:
                self.lift_deletion_protection()
        if self.check_mode:
            return True, before, None
        changed = self.delete_replica()
        if self.wait:
            wait_replica_gone(self.home_client, self.region_client, self.name, self.region, self.deadline)
        return changed or bool(before["deletion_protection"]), before, None

    # -- result ----------------------------------------------------------------------------------------

    def final_settings(self):
        home_table = describe_table(self.home_client, self.name)
        if home_table is None:
            return None, None
        if not self.is_home and find_replica(home_table, self.region) is None:
            return home_table, None
        kms = self.resolve_desired_kms(self.module.params["kms_master_key_id"])
        return home_table, self.read_settings(home_table, kms)[1]


def replica_list(home_table, home_region):
    if not home_table:
        return []
    listing = [{"region_name": home_region, "replica_status": home_table.get("TableStatus"), "is_home_region": True}]
    for entry in home_table.get("Replicas") or []:
        item = camel_dict_to_snake_dict(entry)
        item["is_home_region"] = False
        listing.append(item)
    return listing


def predicted_list(listing, region, state, after):
    listing = [dict(item) for item in listing if item["region_name"] != region or item.get("is_home_region")]
    if state == "present" and after and not after.get("is_home_region"):
        listing.append({"region_name": region, "replica_status": after.get("replica_status"), "is_home_region": False})
    return listing


def main():
    argument_spec = dict(
        table=dict(type="str", required=True, aliases=["name"]),
        home_region=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        deletion_protection=dict(type="bool"),
        point_in_time_recovery=dict(type="bool"),
        kms_master_key_id=dict(type="str", no_log=False),
        recreate=dict(type="bool", default=False),
        table_class=dict(type="str", choices=["STANDARD", "STANDARD_INFREQUENT_ACCESS"]),
        read_capacity_override=dict(type="int"),
        global_secondary_indexes=dict(
            type="list",
            elements="dict",
            options=dict(
                index_name=dict(type="str", required=True),
                read_capacity_override=dict(type="int", required=True),
            ),
        ),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=1800),
    )
    module = AnsibleActiveActiveModule(argument_spec=argument_spec, supports_check_mode=True)

    region = module.region
    resolved, problem = validate_replica_params(module.params, region, dynamodb_regions())
    if problem:
        module.fail_json(msg=problem)

    deadline = time.monotonic() + module.params["wait_timeout"]
    manager = ReplicaManager(module, resolved["name"], resolved["home_region"], region, deadline)
    state = module.params["state"]
    try:
        if state == "absent":
            changed, before, after = manager.ensure_absent()
        else:
            changed, before, after = manager.ensure_present()
        if module.check_mode:
            home_table = describe_table(manager.home_client, manager.name)
            listing = replica_list(home_table, manager.home_region)
            if changed:
                listing = predicted_list(listing, region, state, after)
        else:
            home_table, final = manager.final_settings()
            if state == "absent":
                after = None
            elif final is not None:
                after = final
            # else: a replica created with wait=false that is not listed yet; report the prediction.
            listing = replica_list(home_table, manager.home_region)
    except AnsibleDynamoDBError as e:
        module.fail_json_aws_error(e)

    for warning in manager.warnings:
        module.warn(warning)

    result = {
        "changed": changed,
        "replica": after or {},
        "replicas": listing,
        "table_name": manager.name,
        "home_region": manager.home_region,
        "table_status": (home_table or {}).get("TableStatus"),
    }
    if (home_table or {}).get("GlobalTableVersion"):
        result["global_table_version"] = home_table["GlobalTableVersion"]
    if changed and module._diff:  # pylint: disable=protected-access
        result["diff"] = {"before": before or {}, "after": after or {}}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
