"""Compare two explanations: rank shifts, importance deltas with bootstrap bands, distribution tests.

Pure computation on :class:`~explain_lib.Explanation` objects; loading from runs and logging live
in sibling modules. The algorithm (A is the baseline, B the candidate)::

    common   = A's features that B also has (appeared = B only, vanished = A only; said in notes)
    rank     = position in each explanation's own full global ranking (1 = most important)
    shift    = rank_A - rank_B                    (positive: the feature moved up in B)
    delta    = importance_B - importance_A        (global; per class on the classes both have)
    band     = 2.5 / 97.5 percentiles of delta over n_bootstrap resamples of each side's rows
               (importance = mean |local value|, the rule explanations aggregate with)
    tested   = common features in the top_k of A or of B with a nonzero local value on some side
    W        = Wasserstein-1 distance between A's and B's local values of the feature (mean over outputs)
    p        = permutation p-value of W: rows of A and B pooled and split at random n_permutations times,
               (1 + #{W_perm >= W}) / (1 + n_permutations); Holm-adjusted over the tested features
    flagged  = tested, adjusted p < alpha and the band excludes 0 (when there is a band)

Rows are capped at ``max_rows`` per side (a seeded sample). Everything random takes ``random_state``:
the same two explanations and options give the same comparison.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..._validation import check_int
from ...errors import InvalidInputError, InvalidParameterError
from ...explanation import Explanation, aggregate

__all__ = ["Comparison", "compare_explanations"]

TOP_GATE = 5  # compare.top5_unchanged
_COLUMNS = ("feature", "importance_a", "importance_b", "delta", "delta_low", "delta_high", "rank_a", "rank_b",
            "rank_shift", "wasserstein", "p_value", "p_adjusted", "tested", "flagged")


@dataclass(frozen=True)
class Comparison:
    """What changed between explanation A (baseline) and B (candidate).

    ``features`` is a DataFrame with one row per common feature, ranked by B's importance, columns
    ``feature, importance_a, importance_b, delta, delta_low, delta_high, rank_a, rank_b, rank_shift,
    wasserstein, p_value, p_adjusted, tested, flagged`` (NaN where a value does not apply).
    ``per_class`` has the same columns plus ``class`` (classes both explanations have; no
    Wasserstein test), or is None; ``cohorts`` maps a cohort name to such a frame (plus its row
    counts in ``cohort_rows``). ``appeared`` / ``vanished`` are DataFrames of ``feature, importance,
    rank`` in B / A. ``a_about`` / ``b_about`` say what each side is for a reader (run name, date, the
    explained model's metrics; see :func:`explain_lib.tracking._sources.source_about`), when known.
    """

    a_label: str
    b_label: str
    a_id: str
    b_id: str
    task: str
    output_space: str
    classes: tuple[Any, ...] | None
    features: pd.DataFrame
    appeared: pd.DataFrame
    vanished: pd.DataFrame
    per_class: pd.DataFrame | None
    cohorts: Mapping[str, pd.DataFrame]
    cohort_rows: Mapping[str, tuple[int, int]]
    top_k: int
    top_a: tuple[str, ...]
    top_b: tuple[str, ...]
    notes: tuple[str, ...]
    params: Mapping[str, Any] = field(default_factory=dict)
    a_about: Mapping[str, Any] = field(default_factory=dict)
    b_about: Mapping[str, Any] = field(default_factory=dict)

    @property
    def flagged(self) -> list[str]:
        """The features whose importance changed beyond noise, most shifted first."""
        table = self.features[self.features["flagged"]]
        return list(table.reindex(table["delta"].abs().sort_values(ascending=False).index)["feature"])

    def top_unchanged(self, k: int = TOP_GATE) -> bool:
        """Whether the top k of A and of B are the same features, order aside.

        A feature that crosses the k-th rank counts as a change when it appeared or vanished, when
        its own change is flagged, or when there is no uncertainty band to tell noise from change;
        near-equal features swapping places across the k-th rank within noise do not.
        """
        top_a, top_b = set(self._ranked("a")[:k]), set(self._ranked("b")[:k])
        crossing = top_a ^ top_b
        if not crossing:
            return True
        table = self.features.set_index("feature")
        for name in crossing:
            if name not in table.index or table.at[name, "flagged"] or np.isnan(table.at[name, "delta_low"]):
                return False
        return True

    def _ranked(self, side: str) -> list[str]:
        rows = [(row.feature, getattr(row, f"rank_{side}")) for row in self.features.itertuples()]
        extra = self.appeared if side == "b" else self.vanished
        rows += [(row.feature, row.rank) for row in extra.itertuples()]
        return [name for name, _ in sorted(rows, key=lambda item: item[1])]

    @property
    def max_rank_shift(self) -> int:
        """The largest |rank shift| among the tested features (the top_k of A or B)."""
        tested = self.features.loc[self.features["tested"], "rank_shift"]
        return int(tested.abs().max()) if len(tested) else 0

    def summary(self) -> str:
        """A few lines for a terminal: top-k verdict, flagged features, appeared / vanished, notes."""
        flagged = self.flagged
        lines = [f"Comparing {self.a_label} (A) with {self.b_label} (B): {len(self.features)} common features, "
                 f"top {TOP_GATE} {'unchanged' if self.top_unchanged() else 'CHANGED'}, largest rank shift "
                 f"{self.max_rank_shift} among the top {self.top_k}."]
        if flagged:
            table = self.features.set_index("feature")
            lines.append("Changed beyond noise: " + ", ".join(
                f"{name} ({table.at[name, 'delta']:+.4g}, rank {int(table.at[name, 'rank_a'])} -> "
                f"{int(table.at[name, 'rank_b'])})" for name in flagged))
        else:
            lines.append("No feature's importance changed beyond noise.")
        if len(self.appeared):
            lines.append("Appeared in B: " + ", ".join(f"{r.feature} (rank {r.rank})"
                                                       for r in self.appeared.itertuples()))
        if len(self.vanished):
            lines.append("Vanished from B: " + ", ".join(f"{r.feature} (rank {r.rank} in A)"
                                                      for r in self.vanished.itertuples()))
        lines += [f"Note: {note}" for note in self.notes]
        return "\n".join(lines)


# ------------------------------------------------------------------------------------------- helpers
def _ranks(importance: np.ndarray) -> np.ndarray:
    """1-based rank of each entry, highest first; ties keep feature order (like global_importance)."""
    order = np.argsort(-importance, kind="stable")
    ranks = np.empty(len(importance), dtype=np.int64)
    ranks[order] = np.arange(1, len(importance) + 1)
    return ranks


def _row_abs(local: np.ndarray, columns: list[int], output: int | None) -> np.ndarray:
    """|local| per row and feature: averaged over outputs (``output`` None) or of one output."""
    values = local[:, :, columns]
    return np.abs(values).mean(axis=0) if output is None else np.abs(values[output])


def _band(abs_a: np.ndarray, abs_b: np.ndarray, n_bootstrap: int, rng: np.random.Generator) -> np.ndarray:
    """(2, n_features): percentile band of mean(abs_b) - mean(abs_a) over row resamples of each side."""
    def resampled_means(values: np.ndarray) -> np.ndarray:
        n = len(values)
        counts = rng.multinomial(n, np.full(n, 1.0 / n), size=n_bootstrap)
        return counts @ values / n

    deltas = resampled_means(abs_b) - resampled_means(abs_a)
    return np.percentile(deltas, [2.5, 97.5], axis=0)


def _wasserstein_permutation(values_a: np.ndarray, values_b: np.ndarray, n_permutations: int,
                             rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Wasserstein-1 distance per feature (mean over outputs) and its permutation p-value.

    ``values_*`` are (n_outputs, n_rows, n_features). W1 = integral |F_A - F_B| over the pooled sorted
    values; a permutation relabels whole rows, so one sort per output and feature serves every split,
    and splits are evaluated in batches.
    """
    n_a, n_b = values_a.shape[1], values_b.shape[1]
    pooled = np.concatenate([values_a, values_b], axis=1)  # (outputs, n, features)
    order = np.argsort(pooled, axis=1, kind="stable")
    gaps = np.diff(np.take_along_axis(pooled, order, axis=1), axis=1)  # (outputs, n - 1, features)
    below = np.arange(1, pooled.shape[1])[:, None]  # how many pooled values lie at or below each gap

    def distances(is_a: np.ndarray) -> np.ndarray:
        """(splits, features) for a (splits, n) boolean matrix of row labels."""
        from_a = np.cumsum(is_a[:, order], axis=2)[:, :, :-1]  # (splits, outputs, n - 1, features)
        gap = np.abs(from_a / n_a - (below - from_a) / n_b)
        return (gap * gaps).sum(axis=2).mean(axis=1)

    labels = np.zeros(n_a + n_b, dtype=bool)
    labels[:n_a] = True
    observed = distances(labels[None])[0]
    exceed = np.zeros_like(observed)
    batch = max(1, 500_000 // max(1, pooled.size))
    for start in range(0, n_permutations, batch):
        size = min(batch, n_permutations - start)
        splits = rng.permuted(np.broadcast_to(labels, (size, len(labels))), axis=1)
        exceed += (distances(splits) >= observed - 1e-12).sum(axis=0)
    return observed, (1.0 + exceed) / (1.0 + n_permutations)


def _holm(p_values: np.ndarray) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (monotone, at most 1)."""
    m = len(p_values)
    order = np.argsort(p_values, kind="stable")
    adjusted = np.empty(m)
    running = 0.0
    for position, index in enumerate(order):
        running = max(running, (m - position) * p_values[index])
        adjusted[index] = min(1.0, running)
    return adjusted


def _sample_rows(explanation: Explanation, max_rows: int, rng: np.random.Generator) -> np.ndarray | None:
    """Row positions used for bands and tests (all rows, or a seeded sample of max_rows), None without local."""
    if explanation.local is None:
        return None
    n = explanation.n_rows
    return np.arange(n) if n <= max_rows else np.sort(rng.choice(n, size=max_rows, replace=False))


def _check(a: Explanation, b: Explanation) -> None:
    for name, explanation in (("a", a), ("b", b)):
        if not isinstance(explanation, Explanation):
            raise InvalidParameterError(f"{name} must be an explain_lib Explanation (explain_lib.compare also takes "
                                        f"runs:/ URIs), got {type(explanation).__name__}.")
        if explanation.global_ is None:
            raise InvalidInputError(f"Explanation {name} ({explanation.id}) has no global importances to compare.")
    if a.task != b.task:
        raise InvalidInputError(
            f"Cannot compare a {a.task} explanation (A, {a.id}) with a {b.task} one (B, {b.id}): their importances "
            "measure different outputs. Compare explanations of models of the same task.")
    if a.output_space != b.output_space:
        raise InvalidInputError(
            f"Cannot compare importances in {a.output_space} space (A, {a.id}) with importances in "
            f"{b.output_space} space (B, {b.id}): their units differ. Explain both models with the same method "
            "and output space.")


# ----------------------------------------------------------------------------------------- comparing
def _feature_table(imp_a: np.ndarray, imp_b: np.ndarray, ranks_a: np.ndarray, ranks_b: np.ndarray,
                   common: list[str], band: np.ndarray | None) -> pd.DataFrame:
    delta = imp_b - imp_a
    low, high = (np.full(len(common), np.nan),) * 2 if band is None else (band[0], band[1])
    table = pd.DataFrame({
        "feature": common, "importance_a": imp_a, "importance_b": imp_b, "delta": delta,
        "delta_low": low, "delta_high": high, "rank_a": ranks_a, "rank_b": ranks_b,
        "rank_shift": ranks_a - ranks_b, "wasserstein": np.nan, "p_value": np.nan, "p_adjusted": np.nan,
        "tested": False, "flagged": False,
    })
    return table


def _side_arrays(explanation: Explanation, columns: list[int], rows: np.ndarray | None) -> np.ndarray | None:
    if explanation.local is None or rows is None:
        return None
    return np.asarray(explanation.local[:, rows][:, :, columns], dtype=np.float64)


def _one_output(values: np.ndarray) -> np.ndarray:
    """A binary explanation's class-1 values only when class 0's are their negation (the same distances)."""
    if values.shape[0] == 2 and np.array_equal(values[0], -values[1]):
        return values[1:]
    return values


def _global_for(explanation: Explanation, columns: list[int], output: int | None) -> np.ndarray:
    if output is None:
        return np.asarray(explanation.global_, dtype=float)[columns]
    return np.asarray(explanation.per_class, dtype=float)[output, columns]


def _local_matches_global(explanation: Explanation) -> bool:
    if explanation.local is None:
        return False
    _, derived = aggregate(np.asarray(explanation.local, dtype=float))
    return bool(np.allclose(derived, explanation.global_, rtol=1e-3, atol=1e-9))


def _compare_block(a: Explanation, b: Explanation, common: list[str], output_a: int | None, output_b: int | None,
                   rows_a: np.ndarray | None, rows_b: np.ndarray | None, *, n_bootstrap: int,
                   rng: np.random.Generator) -> pd.DataFrame:
    """Importances, ranks and bands of the common features, globally (outputs None) or for one class."""
    cols_a = [a.features.index(name) for name in common]
    cols_b = [b.features.index(name) for name in common]
    full_a = _global_for(a, list(range(a.n_features)), output_a)
    full_b = _global_for(b, list(range(b.n_features)), output_b)
    ranks_a, ranks_b = _ranks(full_a)[cols_a], _ranks(full_b)[cols_b]
    band = None
    local_a, local_b = _side_arrays(a, cols_a, rows_a), _side_arrays(b, cols_b, rows_b)
    if local_a is not None and local_b is not None and n_bootstrap > 0:
        band = _band(_row_abs(local_a, list(range(len(common))), output_a),
                     _row_abs(local_b, list(range(len(common))), output_b), n_bootstrap, rng)
    table = _feature_table(full_a[cols_a], full_b[cols_b], ranks_a, ranks_b, common, band)
    return table.sort_values(["rank_b", "rank_a"], kind="stable").reset_index(drop=True)


def _extra_features(explanation: Explanation, names: list[str]) -> pd.DataFrame:
    importance = np.asarray(explanation.global_, dtype=float)
    ranks = _ranks(importance)
    rows = [(name, importance[explanation.features.index(name)], int(ranks[explanation.features.index(name)]))
            for name in names]
    return pd.DataFrame(rows, columns=["feature", "importance", "rank"]).sort_values("rank").reset_index(drop=True)


def _cohort_mask(explanation: Explanation, rule: str | Callable[[pd.DataFrame], Any], name: str,
                 side: str) -> np.ndarray:
    if explanation.data is None:
        raise InvalidInputError(f"Cohort {name!r} needs the explained rows, but explanation {side} "
                                f"({explanation.id}) was saved without them.")
    try:
        mask = explanation.data.eval(rule) if isinstance(rule, str) else rule(explanation.data)
    except Exception as error:  # noqa: BLE001 - the user's rule: say which and why
        raise InvalidParameterError(f"Cohort {name!r} could not be applied to explanation {side}'s rows: "
                                    f"{type(error).__name__}: {error}. Give a pandas query such as "
                                    "'age > 40' over the explained columns, or a function of the rows.") from error
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != (len(explanation.data),):
        raise InvalidParameterError(f"Cohort {name!r} must select rows (one boolean per explained row).")
    return mask


def _check_options(top_k: int, n_bootstrap: int, n_permutations: int, max_rows: int, alpha: float) -> None:
    for name, value, low in (("top_k", top_k, 1), ("n_bootstrap", n_bootstrap, 0),
                             ("n_permutations", n_permutations, 0), ("max_rows", max_rows, 2)):
        check_int(value, name, minimum=low)
    if not 0 < alpha < 1:
        raise InvalidParameterError(f"alpha must lie strictly between 0 and 1, got {alpha!r}.")


def _feature_sets(a: Explanation, b: Explanation, notes: list[str]) -> tuple[list[str], list[str], list[str]]:
    """(common, appeared in B, vanished from A); features a top-k upload did not store are not called either."""
    common = [name for name in a.features if name in set(b.features)]
    if not common:
        raise InvalidInputError(f"Explanations {a.id} and {b.id} have no feature in common; A has "
                                f"{list(a.features)[:10]}, B has {list(b.features)[:10]}.")
    appeared = [name for name in b.features if name not in set(a.features)]
    vanished = [name for name in a.features if name not in set(b.features)]
    for side, explanation, others in (("A", a, appeared), ("B", b, vanished)):
        total = explanation.params.get("uploaded_top_k_of")
        if total and others:  # a top-k upload: the features it did not store may well be there
            notes.append(f"{side} was uploaded with only its top {explanation.n_features} of {total} features: "
                         f"{len(others)} feature(s) it did not store are not called "
                         f"{'appeared' if side == 'A' else 'vanished'} ({', '.join(map(str, others[:10]))}).")
            others.clear()
    if appeared or vanished or len(common) < max(a.n_features, b.n_features):
        notes.append(f"The explanations have different features: compared on the {len(common)} they share; "
                     f"{len(appeared)} appeared in B, {len(vanished)} vanished from A.")
    return common, appeared, vanished


def _sampled_rows(a: Explanation, b: Explanation, max_rows: int, rng: np.random.Generator,
                  notes: list[str]) -> tuple[np.ndarray | None, np.ndarray | None, bool]:
    """The rows each side's bands and tests use, and whether there can be bands and tests at all."""
    rows_a, rows_b = _sample_rows(a, max_rows, rng), _sample_rows(b, max_rows, rng)
    with_band = _local_matches_global(a) and _local_matches_global(b)
    if not with_band:
        notes.append("Without local values that aggregate to the global importances on both sides, deltas have no "
                     "uncertainty band and no distribution test: nothing is flagged.")
    for side, explanation, rows in (("A", a, rows_a), ("B", b, rows_b)):
        if rows is not None and len(rows) < explanation.n_rows:
            notes.append(f"Bands and tests use a seeded sample of {len(rows)} of {side}'s {explanation.n_rows} rows.")
    return rows_a, rows_b, with_band


def _flag_changes(table: pd.DataFrame, a: Explanation, b: Explanation, rows_a: np.ndarray | None,
                  rows_b: np.ndarray | None, tops: set[str], *, n_permutations: int, alpha: float,
                  rng: np.random.Generator) -> None:
    """Fill ``tested``, the Wasserstein distances, p-values and ``flagged`` of the global table, in place."""
    table["tested"] = table["feature"].isin(tops)
    if n_permutations == 0:
        return
    local_a = _side_arrays(a, [a.features.index(n) for n in table["feature"]], rows_a)
    local_b = _side_arrays(b, [b.features.index(n) for n in table["feature"]], rows_b)
    # a feature with no nonzero local value on either side cannot have changed: it spends no test
    used = (np.abs(local_a).max(axis=(0, 1)) > 0) | (np.abs(local_b).max(axis=(0, 1)) > 0)
    table["tested"] = table["tested"].to_numpy() & used
    if not table["tested"].any():
        return
    tested = list(table.loc[table["tested"], "feature"])
    local_a = _one_output(_side_arrays(a, [a.features.index(n) for n in tested], rows_a))
    local_b = _one_output(_side_arrays(b, [b.features.index(n) for n in tested], rows_b))
    distance, p_values = _wasserstein_permutation(local_a, local_b, n_permutations, rng)
    where = table["tested"].to_numpy()
    table.loc[where, "wasserstein"] = distance
    table.loc[where, "p_value"] = p_values
    table.loc[where, "p_adjusted"] = _holm(p_values)
    excludes_zero = (table["delta_low"] > 0) | (table["delta_high"] < 0)
    table["flagged"] = where & (table["p_adjusted"] < alpha).to_numpy() & excludes_zero.to_numpy()


def _per_class_table(a: Explanation, b: Explanation, common: list[str], rows_a: np.ndarray | None,
                     rows_b: np.ndarray | None, *, n_bootstrap: int, rng: np.random.Generator,
                     notes: list[str]) -> tuple[pd.DataFrame | None, tuple[Any, ...] | None]:
    """The comparison per class both classifiers have (no distribution tests), and those classes."""
    if a.task != "classification" or a.per_class is None or b.per_class is None:
        return None, None
    classes = tuple(c for c in a.classes if c in set(b.classes))
    if len(classes) < max(len(a.classes), len(b.classes)):
        notes.append(f"Per-class shifts cover the {len(classes)} classes both explanations have.")
    blocks = [_compare_block(a, b, common, list(a.classes).index(cls), list(b.classes).index(cls), rows_a, rows_b,
                             n_bootstrap=n_bootstrap, rng=rng).assign(**{"class": str(cls)}) for cls in classes]
    return (pd.concat(blocks, ignore_index=True) if blocks else None), classes


def _cohort_tables(a: Explanation, b: Explanation, common: list[str],
                   cohorts: Mapping[str, str | Callable[[pd.DataFrame], Any]], *, max_rows: int, n_bootstrap: int,
                   rng: np.random.Generator, notes: list[str]) -> tuple[dict, dict]:
    """Each cohort compared like the whole (name -> table), and its rows on each side (name -> (A, B))."""
    tables, rows = {}, {}
    for name, rule in cohorts.items():
        mask_a, mask_b = _cohort_mask(a, rule, name, "A"), _cohort_mask(b, rule, name, "B")
        if not mask_a.any() or not mask_b.any():
            notes.append(f"Cohort {name!r} has no rows in {'A' if not mask_a.any() else 'B'}: not compared.")
            continue
        part_a, part_b = a.cohort(mask_a), b.cohort(mask_b)
        sub_rows_a, sub_rows_b = _sample_rows(part_a, max_rows, rng), _sample_rows(part_b, max_rows, rng)
        tables[name] = _compare_block(part_a, part_b, common, None, None, sub_rows_a, sub_rows_b,
                                      n_bootstrap=n_bootstrap, rng=rng)
        rows[name] = (int(mask_a.sum()), int(mask_b.sum()))
    return tables, rows


def compare_explanations(
    a: Explanation,
    b: Explanation,
    *,
    a_label: str | None = None,
    b_label: str | None = None,
    top_k: int = 10,
    cohorts: Mapping[str, str | Callable[[pd.DataFrame], Any]] | None = None,
    n_bootstrap: int = 200,
    n_permutations: int = 999,
    alpha: float = 0.05,
    max_rows: int = 5000,
    random_state: int = 0,
    a_about: Mapping[str, Any] | None = None,
    b_about: Mapping[str, Any] | None = None,
) -> Comparison:
    """Compare explanation ``a`` (baseline) with ``b`` (candidate); see the module docstring for how.

    Parameters
    ----------
    a, b
        The explanations, of the same task and output space.
    a_label, b_label
        How the report names them (default: their ids).
    top_k
        The features tested for a change and gating ``max_rank_shift``: the top_k of A or of B.
    cohorts
        Name -> a pandas query over the explained rows (``"age > 40"``) or a function of the rows
        returning a boolean mask; each cohort's importances are compared like the whole.
    n_bootstrap, n_permutations, alpha, max_rows, random_state
        Resamples for the delta band, permutations for the p-values, the level the Holm-adjusted
        p-values are held to, the most rows used per side, and the seed.
    a_about, b_about
        What the report says each side is (``name``, ``date``, ``uri``, ``model_metrics``); not used to compare.

    Raises
    ------
    InvalidInputError
        Different tasks or output spaces, no common feature, or a cohort without the explained rows.
    """
    _check(a, b)
    _check_options(top_k, n_bootstrap, n_permutations, max_rows, alpha)
    notes: list[str] = []
    common, appeared, vanished = _feature_sets(a, b, notes)
    rng = np.random.default_rng(random_state)  # one generator, drawn from in this order: the same seed, the same bits
    rows_a, rows_b, with_band = _sampled_rows(a, b, max_rows, rng, notes)
    boot = n_bootstrap if with_band else 0
    table = _compare_block(a, b, common, None, None, rows_a, rows_b, n_bootstrap=boot, rng=rng)
    top_a = tuple(a.global_importance(top_k=top_k).index)
    top_b = tuple(b.global_importance(top_k=top_k).index)
    if with_band:
        _flag_changes(table, a, b, rows_a, rows_b, set(top_a) | set(top_b), n_permutations=n_permutations,
                      alpha=alpha, rng=rng)
    else:
        table["tested"] = table["feature"].isin(set(top_a) | set(top_b))
    per_class, classes = _per_class_table(a, b, common, rows_a, rows_b, n_bootstrap=boot, rng=rng, notes=notes)
    cohort_tables, cohort_rows = _cohort_tables(a, b, common, cohorts or {}, max_rows=max_rows, n_bootstrap=boot,
                                                rng=rng, notes=notes)
    params = {"top_k": top_k, "n_bootstrap": n_bootstrap, "n_permutations": n_permutations, "alpha": alpha,
              "max_rows": max_rows, "random_state": random_state,
              "rows_a": None if rows_a is None else len(rows_a), "rows_b": None if rows_b is None else len(rows_b)}
    return Comparison(
        a_label=a_label or a.id, b_label=b_label or b.id, a_id=a.id, b_id=b.id, task=a.task,
        output_space=a.output_space, classes=classes, features=table[list(_COLUMNS)],
        appeared=_extra_features(b, appeared), vanished=_extra_features(a, vanished), per_class=per_class,
        cohorts=cohort_tables, cohort_rows=cohort_rows, top_k=top_k, top_a=top_a, top_b=top_b,
        notes=tuple(notes), params=params, a_about=dict(a_about or {}), b_about=dict(b_about or {}))
