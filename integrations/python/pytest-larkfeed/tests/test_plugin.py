"""pytest-larkfeed itself, driven through pytester: fixtures that work, a failure's report with
the tenant's logs, parallel tenants that do not see each other, and a clear error without the
binary."""

import os


def test_a_test_acts_and_waits_on_the_change_feed(pytester):
    pytester.makepyfile("""
        def test_say(tenant, lark_client):
            acted = tenant.say(0, "hello")
            assert acted["applied"]["message_id"].startswith("om_")
            change = tenant.wait_for("message.sent")
            assert change["sender"] == "user"
            assert tenant.requests() == []
            assert lark_client is not None
    """)
    result = pytester.runpytest_subprocess("-q")
    result.assert_outcomes(passed=1)


def test_a_failed_test_carries_the_tenants_logs(pytester):
    pytester.makepyfile("""
        def test_fails(tenant):
            from lark_oapi.api.im.v1 import GetMessageRequest
            client = tenant.client()
            client.im.v1.message.get(GetMessageRequest.builder().message_id("om_nothing").build())
            assert False, "on purpose"
    """)
    result = pytester.runpytest_subprocess("-q")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*larkfeed requests (tenant *)*", "*om_nothing*",
                                 "*larkfeed deliveries (tenant *)*"])


def test_tenants_of_parallel_tests_do_not_see_each_other(pytester):
    pytester.makepyfile("""
        import pytest

        @pytest.mark.parametrize("n", range(4))
        def test_alone(tenant, n):
            tenant.say(0, f"note {n}")
            assert len(tenant.requests()) == 0
            sent = [c for c in tenant._seen if c["kind"] == "message.sent"] or [tenant.wait_for("message.sent")]
            assert len(sent) == 1
    """)
    result = pytester.runpytest_subprocess("-q", "-n", "2")
    result.assert_outcomes(passed=4)


def test_without_the_binary_the_error_names_both_ways_to_give_it(pytester, monkeypatch):
    monkeypatch.delenv("LARKFEED_BIN", raising=False)
    monkeypatch.delenv("LARKFEED_URL", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    pytester.makepyfile("""
        def test_needs_it(tenant):
            pass
    """)
    result = pytester.runpytest_subprocess("-q")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*LARKFEED_BIN*PATH*"])


def test_a_failed_tests_tenant_is_kept_when_asked(pytester, monkeypatch):
    """With --larkfeed-keep-failed and a server that outlives the run (LARKFEED_URL), a failed
    test's tenant stays for the inspector and its page is named; a passing test's goes."""
    import json
    import urllib.request

    from pytest_larkfeed.plugin import Larkfeed

    server = Larkfeed.start()
    monkeypatch.setenv("LARKFEED_URL", server.base_url)
    try:
        pytester.makepyfile("""
            def test_fails(tenant):
                tenant.say(0, "look at me")
                assert False, "on purpose"

            def test_passes(tenant):
                pass
        """)
        result = pytester.runpytest_subprocess("-q", "--larkfeed-keep-failed")
        result.assert_outcomes(failed=1, passed=1)
        result.stdout.fnmatch_lines(["*larkfeed tenant * kept*", f"*{server.base_url}/_larkfeed/ui?tenant=*"])
        with urllib.request.urlopen(server.base_url + "/_larkfeed/tenants") as resp:
            kept = json.load(resp)["items"]
        assert len(kept) == 1, kept
        key = kept[0]["tenant_key"]
        # What the failed test did is still there to look at.
        with urllib.request.urlopen(f"{server.base_url}/_larkfeed/world?tenant={key}") as resp:
            alice = json.load(resp)["apps"][0]["users"][0]["open_id"]
        with urllib.request.urlopen(f"{server.base_url}/_larkfeed/users/{alice}/feed?tenant={key}") as resp:
            assert len(json.load(resp)["data"]["entries"]) == 1
    finally:
        server.stop()
