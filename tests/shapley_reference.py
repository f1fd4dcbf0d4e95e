"""A reference for tests: interventional Shapley values by the textbook formula, one coalition at a time."""

import itertools
import math

import numpy as np


def brute_force_shapley(f, x: np.ndarray, bg: np.ndarray, w: np.ndarray) -> np.ndarray:
    """phi_j = sum over S not containing j of |S|!(M-|S|-1)!/M! (v(S+j) - v(S)),
    with v(S) = sum_b w_b f(x_S, bg_b,notS)."""
    M = len(x)
    cache: dict[tuple, float] = {}

    def v(S: tuple) -> float:
        if S not in cache:
            Z = bg.copy()
            Z[:, list(S)] = x[list(S)]
            cache[S] = float(w @ f(Z))
        return cache[S]

    phi = np.zeros(M)
    for j in range(M):
        others = [k for k in range(M) if k != j]
        for s in range(M):
            weight = math.factorial(s) * math.factorial(M - s - 1) / math.factorial(M)
            for S in itertools.combinations(others, s):
                phi[j] += weight * (v(tuple(sorted(S + (j,)))) - v(S))
    return phi
