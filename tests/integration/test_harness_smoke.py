def test_amazon_aws_module_reaches_local_cloud(ansible, localcloud):
    localcloud.clear_requests()
    result = ansible.run([{"name": "Who am I", "amazon.aws.aws_caller_info": {}}])
    assert result[0]["account"] == "123456789012"
    assert any(r["operation"] == "GetCallerIdentity" for r in localcloud.requests())
