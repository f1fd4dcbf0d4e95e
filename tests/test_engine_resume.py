"""A job killed with SIGKILL at random points resumes to the uninterrupted result, redoing no finished chunk."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pandas as pd
import pytest

from explain_lib.engine import explain_chunked
from explain_lib.explainers import TreeShap

CHUNK_ROWS = 40
JOB = textwrap.dedent("""
    import pickle, sys
    from explain_lib.engine import explain_chunked
    from explain_lib.explainers import TreeShap

    if __name__ == "__main__":
        model_file, data, job, workers = sys.argv[1:]
        with open(model_file, "rb") as handle:
            explainer = TreeShap(pickle.load(handle))
        explain_chunked(explainer, data, chunk_rows={chunk_rows}, workers=int(workers), job_dir=job, progress=False)
""").format(chunk_rows=CHUNK_ROWS)


@pytest.fixture(scope="module")
def job_inputs(tmp_path_factory):
    import lightgbm as lgb

    folder = tmp_path_factory.mktemp("resume")
    rng = np.random.default_rng(3)
    rows = pd.DataFrame(rng.normal(size=(800, 5)), columns=[f"x{j}" for j in range(5)])
    # one thread: LightGBM's OpenMP threads crawl on a loaded machine
    model = lgb.LGBMRegressor(n_estimators=200, num_leaves=15, verbose=-1, n_jobs=1).fit(
        rows, rows.x0 * rows.x1 + rows.x2)
    (folder / "model.pkl").write_bytes(pickle.dumps(model))  # the job process unpickles it; resumes use this one
    rows.to_parquet(folder / "rows.parquet", row_group_size=300)
    (folder / "job.py").write_text(JOB)
    reference = explain_chunked(TreeShap(model), folder / "rows.parquet", chunk_rows=CHUNK_ROWS, workers=1,
                                job_dir=folder / "reference", progress=False)
    return folder, model, reference


def _parts(job):
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (job / "parts").glob("part-*")}


@pytest.mark.parametrize("trial", range(5))
def test_killed_job_resumes_to_the_uninterrupted_result(trial, job_inputs):
    folder, model, reference = job_inputs
    n_chunks = reference.params["engine"]["n_chunks"]
    rng = np.random.default_rng(trial)
    workers, kill_after = 2 if trial == 1 else 1, int(rng.integers(1, n_chunks - 8))  # one trial kills a pool
    job = folder / f"job-{trial}"
    process = subprocess.Popen(
        [sys.executable, str(folder / "job.py"), str(folder / "model.pkl"), str(folder / "rows.parquet"), str(job),
         str(workers)], start_new_session=True, stderr=subprocess.PIPE)
    try:
        while not (job / "parts").is_dir() or len(list((job / "parts").glob("*.parquet"))) < kill_after:
            assert process.poll() is None, process.stderr.read().decode()
            time.sleep(0.002)
        time.sleep(rng.uniform(0, 0.02))  # land anywhere in the next chunk: explaining, writing, renaming
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the job and its worker processes
        process.wait()
    assert process.returncode == -signal.SIGKILL  # killed, not finished
    finished = _parts(job)
    done = {name for name in finished if name.endswith(".parquet")}
    assert kill_after <= len(done) < n_chunks

    resumed = explain_chunked(TreeShap(model), folder / "rows.parquet", chunk_rows=CHUNK_ROWS, workers=1,
                              job_dir=job, resume=True, progress=False)
    after = _parts(job)
    assert {name: after[name] for name in finished if name[:11] + ".parquet" in done} == \
        {name: stamp for name, stamp in finished.items() if name[:11] + ".parquet" in done}  # not redone
    assert len([n for n in after if n.endswith(".parquet")]) == n_chunks
    assert not list((job / "parts").glob(".*"))  # no half-written leftovers
    assert np.array_equal(resumed.local, reference.local)
    assert np.array_equal(resumed.global_, reference.global_)
    assert np.array_equal(resumed.expected, reference.expected)
