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


# ---------------------------------------------------------------- path-dependent games of tree models
def coalition_values(value, n_players: int) -> dict[tuple, float]:
    """value(frozenset S) for every coalition S of range(n_players), keyed by the sorted tuple."""
    return {S: value(frozenset(S)) for size in range(n_players + 1)
            for S in itertools.combinations(range(n_players), size)}


def shapley_from_values(v: dict[tuple, float], n_players: int) -> np.ndarray:
    """phi_j = sum over S not containing j of |S|!(M-|S|-1)!/M! (v(S+j) - v(S))."""
    M = n_players
    phi = np.zeros(M)
    for j in range(M):
        for S, value in v.items():
            if j not in S:
                weight = math.factorial(len(S)) * math.factorial(M - len(S) - 1) / math.factorial(M)
                phi[j] += weight * (v[tuple(sorted(S + (j,)))] - value)
    return phi


def interactions_from_values(v: dict[tuple, float], n_players: int) -> np.ndarray:
    """(M, M) SHAP interaction values by the textbook sum: for i != j, half the Shapley interaction index
    sum over S without i, j of |S|!(M-|S|-2)!/(M-1)! (v(S+i+j) - v(S+i) - v(S+j) + v(S)); the diagonal
    is phi_i minus the row's other entries."""
    M = n_players
    out = np.zeros((M, M))
    for i, j in itertools.combinations(range(M), 2):
        total = 0.0
        for S, value in v.items():
            if i in S or j in S:
                continue
            weight = math.factorial(len(S)) * math.factorial(M - len(S) - 2) / math.factorial(M - 1)
            both = v[tuple(sorted(S + (i, j)))]
            total += weight * (both - v[tuple(sorted(S + (i,)))] - v[tuple(sorted(S + (j,)))] + value)
        out[i, j] = out[j, i] = total / 2
    phi = shapley_from_values(v, M)
    out[np.diag_indices(M)] = phi - (out.sum(axis=1) - np.diag(out))
    return out


def lightgbm_path_value(model, x: np.ndarray, group: int = 0):
    """The path-dependent value function of a LightGBM model's trees of one output at row ``x``, walking
    LightGBM's own JSON dump (its missing-value rules included): v(S) follows ``x`` at splits on features
    in S and averages the children by their counts elsewhere."""
    dump = model.booster_.dump_model() if hasattr(model, "booster_") else model.dump_model()
    per_iteration = dump["num_tree_per_iteration"]
    trees = [tree["tree_structure"] for tree in dump["tree_info"]][group::per_iteration]

    def goes_left(node, value):
        missing = node["missing_type"]
        if np.isnan(value) and missing != "NaN":
            value = 0.0
        if (missing == "Zero" and abs(value) <= float(np.float32(1e-35))) or (missing == "NaN" and np.isnan(value)):
            return node["default_left"]
        return value <= node["threshold"]

    def walk(node, S):
        if "leaf_value" in node:
            return node["leaf_value"]
        left, right = node["left_child"], node["right_child"]
        if node["split_feature"] in S:
            return walk(left if goes_left(node, x[node["split_feature"]]) else right, S)
        count = lambda n: n["leaf_count"] if "leaf_count" in n else n["internal_count"]  # noqa: E731
        return (count(left) * walk(left, S) + count(right) * walk(right, S)) / count(node)

    return lambda S: sum(walk(tree, S) for tree in trees)


def xgboost_path_value(model, x: np.ndarray, group: int = 0):
    """The path-dependent value function of an XGBoost model's trees of one output at row ``x`` (in float32,
    as XGBoost compares), walking XGBoost's own JSON dump: children averaged by cover off the coalition."""
    import json

    booster = model.get_booster()
    n_groups = getattr(model, "n_classes_", 1) if getattr(model, "n_classes_", 2) > 2 else 1
    trees = [json.loads(tree) for tree in booster.get_dump(dump_format="json", with_stats=True)][group::n_groups]
    x32 = x.astype(np.float32)

    def walk(node, S):
        if "leaf" in node:
            return float(np.float32(node["leaf"]))
        children = {child["nodeid"]: child for child in node["children"]}
        feature = int(node["split"].lstrip("f"))
        if feature in S:
            if np.isnan(x32[feature]):
                return walk(children[node["missing"]], S)
            goes_yes = x32[feature] < np.float32(node["split_condition"])
            return walk(children[node["yes" if goes_yes else "no"]], S)
        yes, no = children[node["yes"]], children[node["no"]]
        return (float(np.float32(yes["cover"])) * walk(yes, S) + float(np.float32(no["cover"])) * walk(no, S)) \
            / float(np.float32(node["cover"]))

    return lambda S: sum(walk(tree, S) for tree in trees)
