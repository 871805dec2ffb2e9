"""Hooks for the schemathesis run in test_openapi.py (loaded through SCHEMATHESIS_HOOKS).

The platform ignores query parameters it does not know (the SDKs send some of their own), so a
query string with an undeclared name is not invalid data there. Schemathesis generates such query
strings as negative cases and expects them refused; they are left out, and every other negative
case (a missing or mistyped parameter, a broken body) still runs."""

import schemathesis


@schemathesis.hook
def filter_query(ctx, query):
    if not query or ctx.operation is None:
        return True
    declared = {p.name for p in ctx.operation.query}
    return all(name in declared for name in query)
