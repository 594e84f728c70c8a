"""Unit tests (no network) for global_table_info: every region read in its own region, and put together."""

from ansible_collections.activeactive.aws.plugins.modules import global_table_info as gti

NAME = "sessions"


def table(region, others):
    description = {
        "TableName": NAME,
        "TableStatus": "ACTIVE",
        "TableArn": f"arn:aws:dynamodb:{region}:123456789012:table/{NAME}",
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        "DeletionProtectionEnabled": region == "eu-west-1",
    }
    if others:
        description["GlobalTableVersion"] = "2019.11.21"
        description["Replicas"] = [{"RegionName": r, "ReplicaStatus": s} for r, s in others]
    return description


class FakeModule:
    def __init__(self):
        self.clients = []

    def client(self, service, region=None, **kwargs):
        self.clients.append(region)
        return region


def test_every_region_is_read_in_its_own_region(monkeypatch):
    regions = {
        "us-east-1": table("us-east-1", [("eu-west-1", "ACTIVE"), ("ap-southeast-1", "CREATING")]),
        "eu-west-1": table("eu-west-1", [("us-east-1", "ACTIVE"), ("ap-southeast-1", "CREATING")]),
    }
    monkeypatch.setattr(gti, "describe_table", lambda client, name: regions.get(client))

    def read_region(client, name, region_table=None):
        found = region_table or regions.get(client)
        if found is None:  # a replica still being created answers nothing else
            return None, None, None
        return found, client == "us-east-1", {"Region": client}

    monkeypatch.setattr(gti, "read_region", read_region)
    module = FakeModule()
    result = gti.describe_global_table(module, NAME, "us-east-1")

    assert module.clients == ["us-east-1", "eu-west-1", "ap-southeast-1"]
    assert result["global_table_version"] == "2019.11.21"
    assert result["billing_mode"] == "PAY_PER_REQUEST"
    assert result["key_schema"] == [{"attribute_name": "id", "key_type": "HASH"}]
    assert result["stream_specification"] == {"stream_enabled": True, "stream_view_type": "NEW_AND_OLD_IMAGES"}
    assert [(r["region_name"], r["replica_status"]) for r in result["replicas"]] == [
        ("us-east-1", "ACTIVE"),
        ("eu-west-1", "ACTIVE"),
        ("ap-southeast-1", "CREATING"),
    ]
    home, eu, ap = (result["regions"][r] for r in ("us-east-1", "eu-west-1", "ap-southeast-1"))
    assert home["point_in_time_recovery"] is True and home["deletion_protection"] is False
    assert eu["point_in_time_recovery"] is False and eu["deletion_protection"] is True
    assert eu["tags"] == {"Region": "eu-west-1"}
    assert [r["region_name"] for r in eu["sees_replicas"]] == ["us-east-1", "ap-southeast-1"]
    assert ap["table_status"] is None and ap["replica_status"] == "CREATING"
    assert ap["point_in_time_recovery"] is None


def test_regional_table_without_replicas(monkeypatch):
    regional = table("us-east-1", [])
    monkeypatch.setattr(gti, "describe_table", lambda client, name: regional)
    monkeypatch.setattr(gti, "read_region", lambda client, name, region_table=None: (regional, False, {}))
    result = gti.describe_global_table(FakeModule(), NAME, "us-east-1")
    assert "global_table_version" not in result
    assert [r["region_name"] for r in result["replicas"]] == ["us-east-1"]
    assert list(result["regions"]) == ["us-east-1"]


def test_missing_table(monkeypatch):
    monkeypatch.setattr(gti, "describe_table", lambda client, name: None)
    assert gti.describe_global_table(FakeModule(), NAME, "us-east-1") is None
