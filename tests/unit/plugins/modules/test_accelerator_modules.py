"""Unit tests (no network) of the decisions the accelerator* modules make, with a mocked boto3 client."""

from unittest.mock import MagicMock, call

import pytest

from ansible_collections.activeactive.aws.plugins.module_utils import globalaccelerator as ga
from ansible_collections.activeactive.aws.plugins.modules import (
    accelerator,
    accelerator_endpoint_group,
    accelerator_listener,
)

ACC = "arn:aws:globalaccelerator::123456789012:accelerator/0f1e2d3c-aaaa-bbbb-cccc-0123456789ab"
LISTENER = ACC + "/listener/abcdef01"
GROUP = LISTENER + "/endpoint-group/0123456789ab"


def endpoint(n, weight=128):
    return {"EndpointId": f"i-{n:08x}", "Weight": weight, "ClientIPPreservationEnabled": True}


def wanted(n, weight=128):
    return {"endpoint_id": f"i-{n:08x}", "weight": weight, "client_ip_preservation": None}


def group_params(endpoints, purge=True, **settings):
    params = {option: None for option, _field in ga.ENDPOINT_GROUP_FIELDS}
    params.update(port_overrides=None, purge_endpoints=purge, endpoints=endpoints, **settings)
    return params


class TestEndpointGroupUpdate:
    def run(self, current, endpoints, check_mode=False, **settings):
        client = MagicMock()
        order = MagicMock()
        client.add_endpoints.side_effect = lambda **kw: order.add(kw["EndpointConfigurations"])
        client.remove_endpoints.side_effect = lambda **kw: order.remove(kw["EndpointIdentifiers"])

        def update_endpoint_group(**kwargs):
            order.update(kwargs)
            return {"EndpointGroup": {}}

        client.update_endpoint_group.side_effect = update_endpoint_group
        settle = MagicMock(side_effect=lambda: order.settle())
        group = {"EndpointGroupArn": GROUP, "EndpointDescriptions": current, "TrafficDialPercentage": 100.0}
        changed, predicted = accelerator_endpoint_group.update(
            client, group, group_params(endpoints, **settings), endpoints, check_mode, settle
        )
        return changed, predicted, order.mock_calls

    def test_no_change_no_call(self):
        changed, _, calls = self.run([endpoint(1)], [wanted(1)])
        assert changed is False and calls == []

    def test_add_before_remove(self):
        changed, _, calls = self.run([endpoint(1)], [wanted(2)])
        assert changed is True
        assert calls == [
            call.add([{"EndpointId": "i-00000002", "Weight": 128}]),
            call.settle(),
            call.remove([{"EndpointId": "i-00000001"}]),
        ]

    def test_remove_first_when_adding_would_overflow(self):
        current = [endpoint(n) for n in range(10)]
        changed, _, calls = self.run(current, [wanted(n) for n in range(1, 11)])
        assert changed is True
        assert [c[0] for c in calls] == ["remove", "settle", "add"]

    def test_weight_and_settings_in_one_update(self):
        changed, _, calls = self.run([endpoint(1)], [wanted(1, 5)], traffic_dial_percentage=0.0)
        assert changed is True
        assert calls == [
            call.update(
                {
                    "EndpointGroupArn": GROUP,
                    "TrafficDialPercentage": 0.0,
                    "EndpointConfigurations": [
                        {"EndpointId": "i-00000001", "Weight": 5, "ClientIPPreservationEnabled": True}
                    ],
                }
            )
        ]

    def test_check_mode_predicts_and_calls_nothing(self):
        changed, predicted, calls = self.run([endpoint(1)], [wanted(2, 9)], check_mode=True)
        assert changed is True and calls == []
        assert [(d["EndpointId"], d["Weight"]) for d in predicted["EndpointDescriptions"]] == [("i-00000002", 9)]


class TestAccelerator:
    def current(self, **accelerator):
        base = {"AcceleratorArn": ACC, "Name": "app", "Enabled": True, "IpAddressType": "IPV4", "Status": "DEPLOYED"}
        base.update(accelerator)
        return {"accelerator": base, "tags": {"team": "web"}, "attributes": {"FlowLogsEnabled": False}}

    def params(self, **kwargs):
        params = {
            "name": "app",
            "enabled": None,
            "ip_address_type": None,
            "ip_addresses": None,
            "flow_logs": None,
            "tags": None,
            "purge_tags": True,
        }
        params.update(kwargs)
        return params

    def test_nothing_set_nothing_changed(self):
        client = MagicMock()
        changed, state = accelerator.update(client, self.current(), self.params(), False, True, 60)
        assert changed is False and state == self.current()
        assert client.mock_calls == []

    def test_check_mode_prediction(self):
        client = MagicMock()
        params = self.params(
            enabled=False, tags={"team": "api"}, flow_logs={"enabled": True, "s3_bucket": "b", "s3_prefix": "p"}
        )
        changed, state = accelerator.update(client, self.current(), params, True, True, 60)
        assert changed is True and client.mock_calls == []
        assert state["accelerator"]["Enabled"] is False
        assert state["tags"] == {"team": "api"}
        assert state["attributes"]["FlowLogsS3Bucket"] == "b"

    def test_ip_addresses_change_fails_before_any_change(self):
        client = MagicMock()
        current = self.current(IpSets=[{"IpAddressFamily": "IPv4", "IpAddresses": ["192.0.2.1", "192.0.2.2"]}])
        with pytest.raises(ga.AnsibleGlobalAcceleratorError, match="only be set when an accelerator is created"):
            accelerator.update(
                client, current, self.params(ip_addresses=["198.51.100.1"], enabled=False), False, True, 60
            )
        assert client.mock_calls == []

    def test_delete_without_cascade_names_children(self):
        client = MagicMock()
        client.get_paginator.return_value.paginate.return_value.build_full_result.side_effect = [
            {
                "Listeners": [
                    {"ListenerArn": LISTENER, "Protocol": "TCP", "PortRanges": [{"FromPort": 80, "ToPort": 81}]}
                ]
            },
            {"EndpointGroups": [{"EndpointGroupArn": GROUP, "EndpointGroupRegion": "eu-west-1"}]},
        ]
        with pytest.raises(ga.AnsibleGlobalAcceleratorError) as e:
            accelerator.delete(client, self.current()["accelerator"], cascade=False, check_mode=False, wait_timeout=60)
        assert LISTENER in e.value.message and "TCP 80-81" in e.value.message
        assert GROUP in e.value.message and "(eu-west-1)" in e.value.message and "cascade=true" in e.value.message
        client.delete_accelerator.assert_not_called()


class TestListener:
    def test_delete_blocked_by_endpoint_groups(self):
        client = MagicMock()
        client.get_paginator.return_value.paginate.return_value.build_full_result.return_value = {
            "EndpointGroups": [{"EndpointGroupArn": GROUP, "EndpointGroupRegion": "eu-west-1"}]
        }
        with pytest.raises(ga.AnsibleGlobalAcceleratorError, match="still has endpoint groups"):
            accelerator_listener.delete(client, {"ListenerArn": LISTENER}, check_mode=False)
        client.delete_listener.assert_not_called()

    def test_create_check_mode(self):
        params = {
            "port_ranges": [{"from_port": 443, "to_port": None}, {"from_port": 80}],
            "protocol": "UDP",
            "client_affinity": None,
        }
        predicted = accelerator_listener.create(MagicMock(), ACC, params, check_mode=True)
        assert predicted == {
            "ListenerArn": None,
            "PortRanges": [{"FromPort": 80, "ToPort": 80}, {"FromPort": 443, "ToPort": 443}],
            "Protocol": "UDP",
            "ClientAffinity": "NONE",
        }
