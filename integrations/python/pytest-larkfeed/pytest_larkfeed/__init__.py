"""pytest fixtures for larkfeed, a local Feishu/Lark Open Platform: a server per session and a
fresh tenant per test."""

from .plugin import Larkfeed, LarkfeedError, Tenant

__all__ = ["Larkfeed", "LarkfeedError", "Tenant"]
