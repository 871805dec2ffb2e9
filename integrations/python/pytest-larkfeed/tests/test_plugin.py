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
