"""The chunked engine gives the in-memory answer: local values to 1e-12, importances bit for bit."""

from __future__ import annotations

import dataclasses
import os
import pickle

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from explain_lib import Explanation
from explain_lib._importance import BLOCK_ROWS, aggregate
from explain_lib.engine import JobMismatchError, SchemaDriftError, explain_chunked
from explain_lib.explainers import KernelShap, LinearShap, MimicExplainer, TreeShap

FEATURES = [f"x{j}" for j in range(5)]


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame(rng.normal(size=(2 * BLOCK_ROWS + 300, 5)), columns=FEATURES)


@pytest.fixture(scope="module")
def explainers(rows):
    import lightgbm as lgb
    from sklearn.linear_model import LinearRegression, LogisticRegression

    X = rows.iloc[:600]
    binary = (X.x0 + X.x1 * X.x2 > 0).astype(int)
    three = pd.cut(X.x0 + X.x3, [-np.inf, -0.5, 0.5, np.inf], labels=False)
    # one thread: LightGBM's OpenMP threads crawl on a loaded machine (seconds for a model this size)
    booster = lgb.LGBMClassifier(n_estimators=30, num_leaves=7, verbose=-1, n_jobs=1).fit(X, binary)
    return {
        "tree": TreeShap(booster),
        "linear": LinearShap(LogisticRegression(max_iter=500).fit(X, three), X.iloc[:100]),
        "kernel": KernelShap(LinearRegression().fit(X, X.x0 - 2 * X.x4), X.iloc[:20]),
        "mimic": MimicExplainer(booster, X.iloc[:300], "lightgbm", augment_data=False,
                                explainable_model_args={"n_jobs": 1}),
    }


def _same_importances(chunked: Explanation, reference: Explanation) -> None:
    assert np.array_equal(chunked.global_, reference.global_)
    assert (chunked.per_class is None) == (reference.per_class is None)
    if reference.per_class is not None:
        assert np.array_equal(chunked.per_class, reference.per_class)


@pytest.mark.parametrize("method", ["tree", "linear", "kernel", "mimic"])
def test_chunked_explanation_equals_the_in_memory_one(method, explainers, rows, tmp_path):
    explainer = explainers[method]
    subset = rows if method in ("tree", "linear") else rows.iloc[:1500]  # kernel and mimic: fewer, slower rows
    reference = explainer.explain(subset)
    chunked = explain_chunked(explainer, subset, chunk_rows=1231, workers=1, job_dir=tmp_path, progress=False)
    assert isinstance(chunked.local, np.memmap) and not chunked.local.flags.writeable
    assert_allclose(chunked.local, reference.local, rtol=0, atol=1e-12)
    assert_allclose(chunked.expected, reference.expected, rtol=0, atol=1e-12)
    assert (chunked.method, chunked.task, chunked.classes, chunked.output_space) == \
        (reference.method, reference.task, reference.classes, reference.output_space)
    # importances merged from the chunks as they finished == the block rule on the whole matrix
    per_output, global_ = aggregate(np.array(chunked.local))
    assert np.array_equal(chunked.global_, global_)
    assert np.array_equal(chunked.local, reference.local)  # same values in, same bits out
    _same_importances(chunked, reference)
    assert_allclose(chunked.global_, np.abs(reference.local).mean(axis=1).mean(axis=0), rtol=1e-13)


@pytest.mark.parametrize("chunk_rows", [397, BLOCK_ROWS + 1, 10**6])
def test_any_chunk_size_gives_the_same_bits(chunk_rows, explainers, rows, tmp_path):
    reference = explainers["tree"].explain(rows)
    assert np.array_equal(reference.local[1], -reference.local[0])
    chunked = explain_chunked(explainers["tree"], rows, chunk_rows=chunk_rows, workers=1, job_dir=tmp_path,
                              progress=False)
    assert np.array_equal(chunked.local, reference.local)
    _same_importances(chunked, reference)
    assert chunked.params["engine"]["n_chunks"] == -(-len(rows) // chunk_rows)


class _CountingTree(TreeShap):
    """TreeShap that notes, in a file, each process that unpickles it."""

    log = ""

    def __setstate__(self, state):
        self.__dict__.update(state)
        with open(self.log, "a") as handle:
            handle.write(f"{os.getpid()}\n")


def test_folder_of_parquet_files_on_two_processes(explainers, rows, tmp_path):
    """Four files, the first and last empty; each worker unpickles the explainer once, not once per chunk."""
    folder = tmp_path / "data"
    folder.mkdir()
    for name, part in (("0", rows.iloc[:0]), ("a", rows.iloc[:3000]), ("b", rows.iloc[3000:]), ("c", rows.iloc[:0])):
        part.to_parquet(folder / f"{name}.parquet", row_group_size=700)
    explainer = _CountingTree(explainers["tree"].model)
    explainer.log = str(tmp_path / "unpickled.txt")
    chunked = explain_chunked(explainer, folder, chunk_rows=900, workers=2, job_dir=tmp_path / "job", progress=False)
    reference = explainers["tree"].explain(rows)
    assert np.array_equal(chunked.local, reference.local)
    _same_importances(chunked, reference)
    pids = open(explainer.log).read().split()
    assert chunked.params["engine"]["n_chunks"] == 4 + 7 and len(pids) == len(set(pids)) <= 2


def test_csv_and_array_inputs(explainers, rows, tmp_path):
    rows.iloc[:1000].to_csv(tmp_path / "rows.csv.gz", index=False)
    reference = explainers["linear"].explain(rows.iloc[:1000])
    for data in (tmp_path / "rows.csv.gz", rows.iloc[:1000].to_numpy()):
        chunked = explain_chunked(explainers["linear"], data, chunk_rows=333, workers=1, progress=False)
        assert_allclose(chunked.local, reference.local, rtol=0, atol=1e-12)


def test_schema_drift_names_the_file_and_column_and_keeps_finished_parts(explainers, rows, tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    rows.iloc[:500].to_parquet(folder / "part-1.parquet")
    rows.iloc[500:1000].to_parquet(folder / "part-2.parquet")
    rows.iloc[1000:1500].rename(columns={"x3": "x3_renamed"}).to_parquet(folder / "part-3.parquet")
    job = tmp_path / "job"
    with pytest.raises(SchemaDriftError, match=r"part-3\.parquet lacks column 'x3' \(and has 'x3_renamed'"):
        explain_chunked(explainers["tree"], folder, chunk_rows=250, workers=1, job_dir=job, progress=False)
    assert sorted(p.name for p in (job / "parts").glob("*.parquet")) == [f"part-{i:06d}.parquet" for i in range(4)]


def test_a_job_directory_resumes_only_its_own_job(explainers, rows, tmp_path):
    data = rows.iloc[:900]
    first = explain_chunked(explainers["tree"], data, chunk_rows=300, workers=1, job_dir=tmp_path, progress=False)
    with pytest.raises(JobMismatchError, match="already holds a job. Pass resume=True"):
        explain_chunked(explainers["tree"], data, chunk_rows=300, workers=1, job_dir=tmp_path, progress=False)
    with pytest.raises(JobMismatchError, match="its chunk_rows differ"):
        explain_chunked(explainers["tree"], data, chunk_rows=200, workers=1, job_dir=tmp_path, resume=True)
    with pytest.raises(JobMismatchError, match="its input differ"):
        explain_chunked(explainers["tree"], rows.iloc[1:901], chunk_rows=300, workers=1, job_dir=tmp_path,
                        resume=True)
    with pytest.raises(JobMismatchError, match="its explainer differ"):
        explain_chunked(explainers["mimic"], data, chunk_rows=300, workers=1, job_dir=tmp_path, resume=True)
    model = explainers["tree"].model
    other = pickle.loads(pickle.dumps(model)).set_params(n_estimators=29).fit(data, data.x0 > 0)
    with pytest.raises(JobMismatchError, match="its explainer differ"):  # same class, another model
        explain_chunked(TreeShap(other), data, chunk_rows=300, workers=1, job_dir=tmp_path, resume=True)
    # the same model unpickled from a file (other pickle bytes, same content) continues the job
    again = explain_chunked(TreeShap(pickle.loads(pickle.dumps(model))), data, chunk_rows=300, workers=1,
                            job_dir=tmp_path, resume=True, progress=False)
    assert np.array_equal(again.local, first.local)
    _same_importances(again, first)


def test_status_lines_off_a_terminal_and_a_bar_when_asked(explainers, rows, capsys):
    explain_chunked(explainers["tree"], rows.iloc[:600], chunk_rows=200, workers=1, progress=None,
                    progress_interval=0)
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("explain-lib: explained")]
    assert lines[0].startswith("explain-lib: explained 200/600 rows (33%)") and "rows/s, ETA" in lines[0]
    assert lines[-1].startswith("explain-lib: explained 600/600 rows (100%)")
    explain_chunked(explainers["tree"], rows.iloc[:600], chunk_rows=200, workers=1, progress=True)
    bar = capsys.readouterr().err
    assert "600/600" in bar and "row/s" in bar and "explain-lib: explained" not in bar


def test_on_disk_explanation_saves_cohorts_and_round_trips(explainers, rows, tmp_path):
    chunked = explain_chunked(explainers["linear"], rows, chunk_rows=2000, workers=1, job_dir=tmp_path / "job",
                              progress=False)
    in_memory = dataclasses.replace(chunked, local=np.array(chunked.local), global_=None, per_class=None)
    _same_importances(chunked, in_memory)
    assert chunked.global_importance().equals(in_memory.global_importance())
    mask = rows.x0.to_numpy() > 1
    cohort = chunked.cohort(mask)
    assert np.array_equal(cohort.local, in_memory.local[:, mask])
    _same_importances(cohort, in_memory.cohort(mask))
    chunked.save(tmp_path / "saved", dtype="float64")
    loaded = Explanation.load(tmp_path / "saved")
    assert np.array_equal(loaded.local, chunked.local)
    _same_importances(loaded, chunked)
