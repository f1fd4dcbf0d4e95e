"""``interpret.ext.blackbox``'s names."""

from ..explainers import MimicExplainer, PFIExplainer, TabularExplainer
from ._explainers import KernelExplainer, LIMEExplainer

__all__ = ["KernelExplainer", "LIMEExplainer", "MimicExplainer", "PFIExplainer", "TabularExplainer"]
