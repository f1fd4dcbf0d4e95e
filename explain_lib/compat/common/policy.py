"""``interpret_community.common.policy.SamplingPolicy``: how ``explain_global`` may sample the rows it explains."""

from __future__ import annotations

__all__ = ["SamplingPolicy"]


class SamplingPolicy:
    """interpret-community's sampling policy, read by ``explain_global(sampling_policy=...)``.

    ``allow_eval_sampling=True`` explains at most ``max_dim_clustering`` rows (default 50), a seeded sample
    stratified by the model's prediction (``explain_global(max_rows=...)``); interpret-community picks them by
    clustering (``sampling_method`` "hdbscan" or "kmeans"), which is recorded and otherwise not used.

    Examples
    --------
    >>> policy = SamplingPolicy(allow_eval_sampling=True)
    >>> policy.allow_eval_sampling, policy.max_dim_clustering, policy.sampling_method
    (True, 50, 'hdbscan')
    """

    def __init__(self, allow_eval_sampling: bool = False, max_dim_clustering: int = 50,
                 sampling_method: str = "hdbscan", **kwargs: object):
        self.allow_eval_sampling = bool(allow_eval_sampling)
        self.max_dim_clustering = int(max_dim_clustering)
        self.sampling_method = sampling_method

    def __repr__(self) -> str:
        return (f"SamplingPolicy(allow_eval_sampling={self.allow_eval_sampling}, "
                f"max_dim_clustering={self.max_dim_clustering}, sampling_method={self.sampling_method!r})")
