"""``interpret_community.common``: only the constants notebooks import."""
