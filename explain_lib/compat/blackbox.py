"""``interpret.ext.blackbox``'s names."""

from ..explainers import PFIExplainer, TabularExplainer
from ._explainers import KernelExplainer, LIMEExplainer, MimicExplainer

__all__ = ["KernelExplainer", "LIMEExplainer", "MimicExplainer", "PFIExplainer", "TabularExplainer"]
