"""global_table_replica in the home region: the home table's own per-region settings, no replica action."""

import pytest

pytestmark = pytest.mark.integration


def replica_task(name, **options):
    return {
        "name": "Home region settings",
        "activeactive.aws.global_table_replica": dict({"table": name, "home_region": "us-east-1"}, **options),
    }


def test_home_region_settings_are_idempotent(ansible, aws, unique_name, localcloud):
    name = unique_name
    ansible.run(
        [
            {
                "name": "Create the home table",
                "community.aws.dynamodb_table": {
                    "name": name,
                    "hash_key_name": "id",
                    "hash_key_type": "STRING",
                    "billing_mode": "PAY_PER_REQUEST",
                },
            }
        ]
    )
    task = replica_task(name, point_in_time_recovery=True, deletion_protection=True, tags={"Team": "a"})

    checked = ansible.run([task], check=True, diff=True)[0]
    assert checked["changed"]
    assert checked["replica"]["point_in_time_recovery"] is True
    assert checked["diff"]["before"]["deletion_protection"] is False
    assert checked["diff"]["after"]["deletion_protection"] is True
    ddb = aws.client("dynamodb", region="us-east-1")
    assert not ddb.describe_table(TableName=name)["Table"].get("DeletionProtectionEnabled")

    localcloud.clear_requests()
    result, again, check_again, refused = ansible.run(
        [task, task, dict(task, check_mode=True), dict(replica_task(name, state="absent"), ignore_errors=True)]
    )
    assert result["changed"]
    # Only the home region was called: no replica action, no other region.
    assert {r["region"] for r in localcloud.requests() if r["service"] == "dynamodb"} == {"us-east-1"}
    assert result["replica"]["is_home_region"] is True
    assert result["replicas"] == [{"region_name": "us-east-1", "replica_status": "ACTIVE", "is_home_region": True}]
    assert ddb.describe_table(TableName=name)["Table"]["DeletionProtectionEnabled"] is True
    backups = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    arn = ddb.describe_table(TableName=name)["Table"]["TableArn"]
    assert {"Key": "Team", "Value": "a"} in ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]
    assert not again["changed"]
    assert not check_again["changed"]

    # The home table is never deleted by this module.
    assert refused["failed"] and "home table" in refused["msg"]
    assert ddb.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE"

    # Clean up: lift the protection so that a real-AWS run can delete the table.
    assert ansible.run([replica_task(name, deletion_protection=False)])[0]["changed"]
