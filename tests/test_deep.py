"""DeepShap: Deep SHAP (DeepLIFT rescale rule over a background) for PyTorch networks."""

import copy
import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.linear_model import LinearRegression

torch = pytest.importorskip("torch")
nn = torch.nn

from shapley_reference import brute_force_shapley  # noqa: E402

from explain_lib import DeepShap, KernelShap, LinearShap, TabularExplainer, UnsupportedModelError  # noqa: E402
from explain_lib.compat import DeepExplainer  # noqa: E402
from explain_lib.engine import explain_chunked  # noqa: E402
from explain_lib.scoring import DeepScoringExplainer, ScoringExplainer  # noqa: E402

N_FEATURES = 6
ADDITIVITY = 1e-9  # float64 networks: local.sum(-1) + expected == output up to float64 rounding


@pytest.fixture(scope="module")
def X():
    return np.random.default_rng(0).normal(size=(120, N_FEATURES))


def _net(*layers, seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(*layers).double().eval()


def _output(net, rows, head="as_is"):
    with torch.no_grad():
        out = net(torch.as_tensor(rows))
        if head == "without":
            out = net[:-1](torch.as_tensor(rows))
        elif head == "softmax":
            out = torch.softmax(out, dim=1)
        elif head == "sigmoid":
            out = torch.sigmoid(out)
    return out.numpy().reshape(len(rows), -1)


def _trained_batchnorm(net, X):
    """Give BatchNorm layers non-trivial running statistics, then leave the network in train mode."""
    net.train()
    with torch.no_grad():
        for _ in range(5):
            net(torch.as_tensor(X * 2 + 1))
    return net


NETWORKS = {
    "regression": lambda: _net(nn.Linear(N_FEATURES, 16), nn.ReLU(), nn.Linear(16, 8), nn.Tanh(), nn.Linear(8, 1)),
    "binary_sigmoid": lambda: _net(nn.Linear(N_FEATURES, 16), nn.LeakyReLU(0.1), nn.Linear(16, 1), nn.Sigmoid()),
    "multiclass_softmax": lambda: _net(nn.Linear(N_FEATURES, 16), nn.ELU(), nn.Linear(16, 3), nn.Softmax(dim=-1)),
    "multiclass_logits": lambda: _net(nn.Linear(N_FEATURES, 16), nn.Softplus(), nn.Linear(16, 3)),
}


@pytest.mark.parametrize(("kind", "output", "space", "head"), [
    ("regression", "auto", "raw", "as_is"),
    ("binary_sigmoid", "auto", "probability", "as_is"),
    ("binary_sigmoid", "margin", "margin", "without"),
    ("multiclass_softmax", "auto", "probability", "as_is"),
    ("multiclass_softmax", "margin", "margin", "without"),
    ("multiclass_logits", "auto", "margin", "as_is"),
    ("multiclass_logits", "probability", "probability", "softmax"),
])
def test_local_values_add_up_to_the_output_in_the_stated_space(X, kind, output, space, head):
    net = NETWORKS[kind]()
    explanation = DeepShap(net, X[:30], output=output).explain(X[30:60])
    assert explanation.output_space == space and explanation.params["head"] == head
    expected_output = _output(net, X[30:60], head)
    total = explanation.local.sum(-1) + explanation.expected[:, None]
    if kind == "binary_sigmoid":  # two classes from one output: class 0 is 1 - p (or -logit)
        assert explanation.classes == (0, 1) and explanation.task == "classification"
        assert_allclose(total[0], (1.0 if space == "probability" else 0.0) - expected_output[:, 0], atol=ADDITIVITY)
        total = total[1:]
    assert_allclose(total.T, expected_output, rtol=0, atol=ADDITIVITY)
    assert explanation.task == ("regression" if kind == "regression" else "classification")


def test_a_linear_network_gets_the_closed_form_and_exact_shapley_values(X):
    # Linear layers, eval-mode batch norm and dropout compose to one affine map: Deep SHAP is then exact
    net = _trained_batchnorm(_net(nn.Linear(N_FEATURES, 5), nn.BatchNorm1d(5), nn.Dropout(0.3), nn.Linear(5, 1)), X)
    weights = np.random.default_rng(1).uniform(0.1, 1.0, size=40)
    deep = DeepShap(net, X[:40], background_weights=weights).explain(X[40:70])
    eval_twin = copy.deepcopy(net).eval()
    linear = LinearRegression().fit(X, _output(eval_twin, X)[:, 0])
    closed_form = LinearShap(linear, X[:40], background_weights=weights).explain(X[40:70])
    assert_allclose(deep.local, closed_form.local, rtol=0, atol=1e-9)
    assert_allclose(deep.expected, closed_form.expected, rtol=0, atol=1e-9)
    f = lambda rows: _output(eval_twin, rows)[:, 0]  # noqa: E731
    for i in (40, 41):
        assert_allclose(deep.local[0, i - 40], brute_force_shapley(f, X[i], X[:40], weights / weights.sum()),
                        atol=1e-9)


def test_data_frame_columns_are_matched_by_name(X):
    import pandas as pd

    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(N_FEATURES)])
    explainer = DeepShap(NETWORKS["regression"](), frame.iloc[:20])
    explanation = explainer.explain(frame.iloc[20:30])
    assert explanation.features == tuple(frame.columns)
    assert_allclose(explainer.explain(frame.iloc[20:30, ::-1]).local, explanation.local, atol=0)
    assert_allclose(explainer.explain(X[20:30]).local, explanation.local, atol=0)


@pytest.mark.parametrize("kind", ["regression", "binary_sigmoid", "multiclass_logits"])
def test_explain_global_samples_rows_stratified_by_the_network_s_prediction(X, kind):
    explainer = DeepShap(NETWORKS[kind](), X[:10], output="margin" if kind == "binary_sigmoid" else "auto")
    explanation = explainer.explain_global(X, max_rows=12)
    assert explanation.local.shape[1] == 12 and explanation.params["sampling"]["n_rows_total"] == len(X)


def test_an_input_the_network_ignores_gets_exactly_zero(X):
    net = NETWORKS["multiclass_softmax"]()
    with torch.no_grad():
        net[0].weight[:, 2] = 0.0
    explanation = DeepShap(net, X[:20]).explain(X[20:40])
    assert np.all(explanation.local[:, :, 2] == 0.0)
    assert np.abs(explanation.local[:, :, [0, 1, 3]]).max() > 1e-3


def test_batch_norm_and_dropout_are_explained_in_eval_mode_and_the_model_is_left_as_it_was(X):
    net = _trained_batchnorm(_net(nn.Linear(N_FEATURES, 12), nn.BatchNorm1d(12), nn.ReLU(), nn.Dropout(0.5),
                                  nn.Linear(12, 1)), X)
    seen = []
    net[2].register_forward_hook(lambda *args: seen.append(1))  # the user's hook stays, never runs, none is added
    net[0].weight.requires_grad_(False)
    state = {k: v.clone() for k, v in net.state_dict().items()}
    grads = [p.requires_grad for p in net.parameters()]
    hooks = [(len(m._forward_hooks), len(m._backward_hooks), len(m._forward_pre_hooks)) for m in net.modules()]
    explainer = DeepShap(net, X[:30])
    before = pickle.dumps({k: v for k, v in vars(explainer).items() if k != "network" and k != "model"})
    explanation = explainer.explain(X[30:50])
    assert net.training and all(m.training for m in net.modules())
    assert [p.requires_grad for p in net.parameters()] == grads and all(p.grad is None for p in net.parameters())
    assert all(torch.equal(state[k], v) for k, v in net.state_dict().items())
    assert [(len(m._forward_hooks), len(m._backward_hooks), len(m._forward_pre_hooks)) for m in net.modules()] == hooks
    assert pickle.dumps({k: v for k, v in vars(explainer).items() if k != "network" and k != "model"}) == before
    assert explanation.params["mode"] == "eval" and seen == []
    total = explanation.local.sum(-1) + explanation.expected[:, None]
    assert_allclose(total[0], _output(copy.deepcopy(net).eval(), X[30:50])[:, 0], atol=ADDITIVITY)


class _GatedNet(nn.Module):
    """A custom forward() from supported parts: a residual sum and a functional activation."""

    def __init__(self):
        super().__init__()
        self.inner, self.skip, self.head = nn.Linear(N_FEATURES, 8), nn.Linear(N_FEATURES, 8), nn.Linear(8, 2)

    def forward(self, x):
        hidden = torch.relu(self.inner(x)) + 0.5 * self.skip(x)
        return torch.nn.functional.softmax(self.head(torch.tanh(hidden)), dim=-1)


def test_a_custom_forward_built_from_supported_operations_is_explained(X):
    torch.manual_seed(0)
    net = _GatedNet().double().eval()
    explanation = DeepShap(net, X[:20]).explain(X[20:40])
    assert explanation.output_space == "probability" and explanation.classes == (0, 1)
    assert_allclose((explanation.local.sum(-1) + explanation.expected[:, None]).T, _output(net, X[20:40]),
                    atol=ADDITIVITY)


class _Squared(nn.Module):
    def forward(self, x):
        return (x * x).sum(dim=1, keepdim=True)


class _Branching(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(N_FEATURES, 1)

    def forward(self, x):
        return self.linear(x) if x.sum() > 0 else -self.linear(x)


@pytest.mark.parametrize(("make", "named"), [
    (lambda: _net(nn.Linear(N_FEATURES, 4), nn.Hardswish(), nn.Linear(4, 1)), "Hardswish"),
    (lambda: _Squared().double(), "product"),
    (lambda: _Branching().double(), "cannot be traced"),
])
def test_an_operation_it_does_not_handle_is_refused_by_name(X, make, named):
    with pytest.raises(UnsupportedModelError, match=named) as error:
        DeepShap(make(), X[:10])
    assert "KernelShap" in str(error.value)


def test_agrees_with_shap_deep_explainer_on_a_relu_network(X):
    shap = pytest.importorskip("shap")
    net = _net(nn.Linear(N_FEATURES, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 3))
    rows = X[25:60]  # five of them are background rows too: their pair's ReLUs meet (the derivative is used)
    ours = DeepShap(net, X[:30]).explain(rows)
    theirs = shap.DeepExplainer(net, torch.as_tensor(X[:30])).shap_values(torch.as_tensor(rows),
                                                                          check_additivity=False)
    assert_allclose(ours.local, np.moveaxis(np.asarray(theirs), -1, 0), rtol=0, atol=1e-12)
    assert_allclose(ours.expected, _output(net, X[:30]).mean(0), atol=1e-12)


def test_values_do_not_depend_on_how_the_pairs_are_batched(X):
    net = NETWORKS["multiclass_softmax"]()
    rows = X[25:35]  # five are background rows too: the derivative path in every batch size
    whole = DeepShap(net, X[:30]).explain(rows).local
    for max_batch_pairs in (30, 91):  # one row per pass; three rows (and a remainder unused)
        assert_allclose(DeepShap(net, X[:30], max_batch_pairs=max_batch_pairs).explain(rows).local, whole,
                        rtol=0, atol=1e-13)


class _SkorchLike:
    """A scikit-learn-style classifier holding its network as module_ (as skorch does)."""

    _estimator_type = "classifier"

    def __init__(self, module):
        self.module_, self.classes_ = module, np.array(["no", "yes"])

    def predict_proba(self, rows):
        return _output(self.module_, rows, "softmax")


def test_tabular_explainer_picks_deep_shap_for_a_network_and_a_module_wrapper(X):
    net = _net(nn.Linear(N_FEATURES, 8), nn.ReLU(), nn.Linear(8, 2))
    direct = TabularExplainer(net, X[:20])
    assert isinstance(direct.explainer, DeepShap)
    wrapped = TabularExplainer(_SkorchLike(net), X[:20])
    assert isinstance(wrapped.explainer, DeepShap) and wrapped.classes == ("no", "yes")
    assert_allclose(wrapped.explain(X[20:30]).local, direct.explain(X[20:30]).local, atol=0)
    as_function = TabularExplainer(lambda rows: _output(net, rows, "softmax"), X[:20], model_task="classification")
    assert isinstance(as_function.explainer, KernelShap)


def test_pickled_explainer_gives_the_same_values_in_the_chunked_engine(X, tmp_path):
    explainer = DeepShap(NETWORKS["multiclass_softmax"](), X[:20])
    reference = explainer.explain(X[20:120])
    assert_allclose(pickle.loads(pickle.dumps(explainer)).explain(X[20:120]).local, reference.local, atol=0)
    chunked = explain_chunked(explainer, X[20:120], chunk_rows=40, workers=1, job_dir=tmp_path, progress=False)
    assert_allclose(chunked.local, reference.local, rtol=0, atol=1e-12)


def test_scoring_and_compat_names_explain_with_deep_shap(X, tmp_path):
    net = NETWORKS["binary_sigmoid"]()
    reference = DeepShap(net, X[:10]).explain(X[10:15])
    scoring = DeepScoringExplainer(DeepShap(net, X[:10]))
    assert_allclose(np.asarray(scoring.explain(X[10:15])), reference.local, atol=0)
    built = DeepScoringExplainer(TabularExplainer(net, X[:10]), initialization_examples=X[:10])
    assert_allclose(built.explain_local(X[10:15]).local, reference.local, atol=0)
    scoring.save(tmp_path / "scoring")
    assert_allclose(ScoringExplainer.load(tmp_path / "scoring").explain_local(X[10:15]).local, reference.local, atol=0)
    compat = DeepExplainer(net, X[:10], features=[f"f{i}" for i in range(N_FEATURES)], model_task="classification")
    assert_allclose(compat.explain_local(X[10:15]).local, reference.local, atol=0)
    assert compat.explain_global(X[10:15]).method == "shap.deep"


def test_upload_of_a_deep_shap_explanation_round_trips_through_the_tracking_server(X, mlflow_server):
    import mlflow

    from explain_lib.tracking import ExplanationClient

    uri = mlflow_server.wait()  # the session's server: the generic upload paths are tested in test_tracking
    client = mlflow.MlflowClient(uri)
    run = client.create_run(client.create_experiment("deep-shap"))
    uploader = ExplanationClient.from_run_id(run.info.run_id, tracking_uri=uri)
    explanation = DeepShap(NETWORKS["multiclass_softmax"](), X[:20]).explain(X[20:40])
    uploader.upload_model_explanation(explanation, comment="deep", plots=False)  # PNGs are tested generically
    downloaded = uploader.download_model_explanation(comment="deep")
    assert downloaded.method == "shap.deep" and downloaded.output_space == "probability"
    assert downloaded.params["head"] == "as_is" and downloaded.classes == (0, 1, 2)
    assert_allclose(downloaded.local, explanation.local, rtol=1e-6, atol=1e-7)  # stored as float32
    assert_allclose(downloaded.expected, explanation.expected)
