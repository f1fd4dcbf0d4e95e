"""``interpret_community.dataset``."""
