"""``interpret_community.common.exception``'s names for explain-lib's errors (catch either)."""

from ...errors import UnsupportedModelError

__all__ = ["ScenarioNotSupportedException"]

#: interpret-community raises this for a scenario it cannot explain; explain-lib raises UnsupportedModelError
ScenarioNotSupportedException = UnsupportedModelError
