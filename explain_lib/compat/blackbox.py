"""``interpret.ext.blackbox``'s names."""

from ..explainers import MimicExplainer, PFIExplainer, TabularExplainer
from ._explainers import KernelExplainer

__all__ = ["KernelExplainer", "MimicExplainer", "PFIExplainer", "TabularExplainer"]
