"""DeepLIFT's rescale rule on a PyTorch network, read as a graph of known operations.

The network is traced with ``torch.fx`` (never changed: no hooks, no mode switch, no parameter
touched) and evaluated here, operation by operation, in float64 on the CPU, on a batch of pairs
followed by the references: row ``p`` of the first ``n_pairs = n_rows x n_ref`` rows is explained
against reference ``p % n_ref`` of the last ``n_ref`` rows, which are carried once, not once per
pair, and get no gradient (the backward pass runs through the pairs only). Linear
operations (Linear, BatchNorm1d with its running statistics, Dropout as the identity, sums,
reshapes) are differentiated by autograd as they are; each nonlinearity gets the rescale
multiplier instead of its gradient:

* elementwise ``y = g(z)``: ``m = (g(z_x) - g(z_r)) / (z_x - z_r)`` (``g'(z)`` where the two agree);
* softmax ``y_k = e_k / S`` with ``e_k = exp(z_k)``, ``S = sum_k e_k``: the exponential by the
  elementwise rule, the sum linearly, and the division by the Shapley values of its two inputs
  (a closed form, so no difference is ever divided), as shap's TensorFlow explainer does.

Each rule makes the multipliers sum to the output's difference (DeepLIFT's summation-to-delta), so
``sum_j m_j (x_j - r_j) = f(x) - f(r)`` for every pair. Anything else is refused by name.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import UnsupportedModelError

__all__ = ["Network", "import_torch"]

_EPS = 1e-10  # below this input difference the elementwise multiplier is the derivative


def import_torch() -> Any:
    """torch, or an ImportError naming the extra that installs it."""
    try:
        import torch
    except ImportError as error:  # pragma: no cover - the test extra installs torch
        raise ImportError('DeepShap needs PyTorch: pip install "explain-lib[torch]"') from error
    return torch


def _refuse(what: str, reason: str = "") -> UnsupportedModelError:
    return UnsupportedModelError(
        f"DeepShap cannot propagate through {what}{reason}. It handles Linear, BatchNorm1d, Dropout, ReLU, "
        "LeakyReLU, ELU, Softplus, GELU, SiLU, Sigmoid, Tanh, Softmax, Flatten and sums/reshapes of those, in "
        "nn.Sequential or a forward() without data-dependent branches. Explain this model with "
        "KernelShap(predict_function, background), which needs only its predictions."
    )


def _elementwise_module(module: Any) -> Callable | None:
    """The function of an elementwise activation module (its settings bound), or None."""
    import torch.nn.functional as F
    from torch import nn

    table = {
        nn.ReLU: lambda m: F.relu,
        nn.LeakyReLU: lambda m: lambda z: F.leaky_relu(z, m.negative_slope),
        nn.ELU: lambda m: lambda z: F.elu(z, m.alpha),
        nn.Softplus: lambda m: lambda z: F.softplus(z, m.beta, m.threshold),
        nn.GELU: lambda m: lambda z: F.gelu(z, approximate=m.approximate),
        nn.SiLU: lambda m: F.silu,
        nn.Sigmoid: lambda m: torch_fn("sigmoid"),
        nn.Tanh: lambda m: torch_fn("tanh"),
    }
    make = table.get(type(module))
    return None if make is None else make(module)


def unsupported_module(network: Any) -> str | None:
    """The first layer of ``network`` the rescale rule cannot propagate through ("LayerNorm ('norm')"), or None.

    Reads the network's modules only (nothing runs); a forward() that cannot be traced is found when
    :class:`Network` reads it.
    """
    from torch import nn

    handled = (nn.Linear, nn.Dropout, nn.AlphaDropout, nn.Identity, nn.Flatten, nn.Softmax)
    for name, module in network.named_modules():
        if any(True for _ in module.children()):
            continue  # a container: its layers decide
        if _elementwise_module(module) is not None or isinstance(module, handled):
            continue
        if isinstance(module, nn.BatchNorm1d) and module.running_mean is not None:
            continue
        return f"{type(module).__name__} ('{name}')"
    return None


def torch_fn(name: str) -> Callable:
    import torch

    return getattr(torch, name)


def _elementwise_functions() -> dict[Any, str]:
    import torch
    import torch.nn.functional as F

    return {torch.relu: "relu", F.relu: "relu", torch.sigmoid: "sigmoid", F.sigmoid: "sigmoid",
            torch.tanh: "tanh", F.tanh: "tanh", F.leaky_relu: "leaky_relu", F.elu: "elu", F.gelu: "gelu",
            F.silu: "silu", F.softplus: "softplus"}


def _pairs(z: Any, n_ref: int) -> tuple[Any, Any]:
    """(pairs' values (n_rows, n_ref, ...), references' (1, n_ref, ...)) of a batch laid out as pairs then
    references, shaped to broadcast."""
    n_pairs = z.shape[0] - n_ref
    return z[:n_pairs].reshape(n_pairs // n_ref, n_ref, *z.shape[1:]), z[n_pairs:].unsqueeze(0)


def _rescale_class() -> type:
    torch = import_torch()

    class Rescale(torch.autograd.Function):
        """y = g(z) forward; the rescale multiplier of each (row, reference) pair backward."""

        @staticmethod
        def forward(ctx: Any, z: Any, function: Callable, n_ref: int) -> Any:
            y = function(z)
            (zx, zr), (yx, yr) = _pairs(z, n_ref), _pairs(y, n_ref)
            dz = zx - zr
            close = dz.abs() < _EPS
            slope = torch.zeros_like(z)  # the references' rows stay 0: no gradient flows through them
            pairs = slope[: len(z) - n_ref].view(dz.shape)
            torch.div(yx - yr, dz.masked_fill_(close, 1.0), out=pairs)
            if close.any():  # the derivative, where a row and its reference meet
                with torch.enable_grad():
                    point = z[: len(z) - n_ref].detach().requires_grad_(True)
                    (derivative,) = torch.autograd.grad(function(point).sum(), point)
                pairs[close] = derivative.reshape(dz.shape)[close]
            ctx.save_for_backward(slope)
            return y

        @staticmethod
        def backward(ctx: Any, grad: Any) -> tuple[Any, None, None]:
            (slope,) = ctx.saved_tensors
            return grad * slope, None, None

    return Rescale


def _softmax_class() -> type:
    torch = import_torch()

    class Softmax(torch.autograd.Function):
        """Softmax over the last axis forward; exp (rescale), sum (linear), division (Shapley) backward."""

        @staticmethod
        def forward(ctx: Any, z: Any, n_ref: int) -> Any:
            zx, zr = _pairs(z, n_ref)
            shift = torch.maximum(zx.amax(-1, keepdim=True), zr.amax(-1, keepdim=True))  # one per pair
            ex, er = torch.exp(zx - shift), torch.exp(zr - shift)
            sx, sr = ex.sum(-1, keepdim=True), er.sum(-1, keepdim=True)
            dz, de = zx - zr, ex - er
            close = dz.abs() < _EPS
            exp_slope = torch.where(close, ex, de / torch.where(close, torch.ones_like(dz), dz))
            by_e = 0.5 * (1 / sx + 1 / sr)  # Shapley multiplier of e_k in e_k / S (the same for every k)
            by_s = -0.5 * (ex + er) / (sx * sr)  # Shapley multiplier of S in e_k / S
            width = z.shape[-1]
            ctx.save_for_backward(exp_slope.reshape(-1, width), by_e.reshape(-1, 1), by_s.reshape(-1, width))
            return torch.softmax(z, dim=-1)

        @staticmethod
        def backward(ctx: Any, grad: Any) -> tuple[Any, None]:
            exp_slope, by_e, by_s = ctx.saved_tensors
            g = grad[: len(exp_slope)]
            through_sum = (g * by_s).sum(-1, keepdim=True)
            return torch.cat([(g * by_e + through_sum) * exp_slope, torch.zeros_like(grad[len(exp_slope):])]), None

    return Softmax


_SHAPE_METHODS = ("view", "reshape", "flatten", "squeeze", "unsqueeze", "size", "contiguous")
# elementwise activations by name, with how many positional settings follow the input
_SETTINGS_KEPT = {"relu": 0, "sigmoid": 0, "tanh": 0, "silu": 0, "leaky_relu": 1, "elu": 1, "gelu": 0, "softplus": 2}
_LINEAR_FUNCTIONS = (operator.add, operator.sub, operator.neg, operator.pos, operator.getitem)


class Network:
    """A traced network, evaluated on (rows, references) pairs with the rescale rule.

    ``final`` is the network's last operation when it is a softmax or a sigmoid (the one its
    probabilities come from), else None; ``run(batch, head=...)`` can leave it out
    (``head="without"``) or append one (``"softmax"`` / ``"sigmoid"``).
    """

    def __init__(self, module: Any):
        import_torch()
        import torch.fx

        self.module = module
        try:
            self.graph = torch.fx.symbolic_trace(module).graph
        except Exception as error:  # tracing runs the user's forward(): any failure means "cannot read it"
            raise _refuse(f"the forward() of {type(module).__name__}",
                          f" (it cannot be traced: {type(error).__name__}: {error})") from error
        placeholders = [n for n in self.graph.nodes if n.op == "placeholder"]
        if len(placeholders) != 1:
            raise _refuse(f"a forward() with {len(placeholders)} inputs", " (tabular networks take one tensor)")
        self._modules = dict(module.named_modules())
        self._rescale, self._softmax = _rescale_class(), _softmax_class()
        self._elementwise = _elementwise_functions()
        output = next(n for n in self.graph.nodes if n.op == "output")
        self._output = output.args[0]
        self.final = self._activation_of(self._output)

    # ------------------------------------------------------------------ reading the graph
    def _activation_of(self, node: Any) -> str | None:
        """'softmax' / 'sigmoid' when ``node`` applies one over the last axis, else None."""
        import torch
        from torch import nn

        if not hasattr(node, "op") or len(node.args) < 1:
            return None
        if node.op == "call_module":
            module = self._modules[node.target]
            if isinstance(module, nn.Sigmoid):
                return "sigmoid"
            if isinstance(module, nn.Softmax) and module.dim in (-1, 1, None):  # None: torch's implicit 1 on 2-D
                return "softmax"
        if node.op == "call_function" and self._elementwise.get(node.target) == "sigmoid":
            return "sigmoid"
        if node.op == "call_method" and node.target == "sigmoid":
            return "sigmoid"
        is_softmax = (node.op == "call_function" and node.target in (torch.softmax, torch.nn.functional.softmax)
                      or node.op == "call_method" and node.target == "softmax")
        return "softmax" if is_softmax and self._softmax_dim(node) in (-1, 1) else None

    @staticmethod
    def _softmax_dim(node: Any) -> Any:
        return node.kwargs.get("dim", node.args[1] if len(node.args) > 1 else None)

    # ------------------------------------------------------------------ evaluation
    def _param(self, tensor: Any) -> Any:
        import torch

        return None if tensor is None else tensor.detach().to("cpu", torch.float64)

    def _call_module(self, node: Any, x: Any, n_ref: int) -> Any:
        import torch.nn.functional as F
        from torch import nn

        module = self._modules[node.target]
        function = _elementwise_module(module)
        if function is not None:
            return self._rescale.apply(x, function, n_ref)
        if isinstance(module, nn.Linear):
            return F.linear(x, self._param(module.weight), self._param(module.bias))
        if isinstance(module, nn.BatchNorm1d):
            if module.running_mean is None:
                raise _refuse("BatchNorm1d(track_running_stats=False)", " (its output depends on the whole batch)")
            return F.batch_norm(x, self._param(module.running_mean), self._param(module.running_var),
                                self._param(module.weight), self._param(module.bias), False, 0.0, module.eps)
        if isinstance(module, (nn.Dropout, nn.AlphaDropout, nn.Identity)):
            return x  # explained as in eval mode: dropout is the identity
        if isinstance(module, nn.Flatten):
            return x.flatten(module.start_dim, module.end_dim)
        if isinstance(module, nn.Softmax):
            if module.dim not in (-1, 1, None) or x.dim() != 2:
                raise _refuse(f"Softmax(dim={module.dim}) on a {x.dim()}-D tensor", " (softmax over the features)")
            return self._softmax.apply(x, n_ref)
        raise _refuse(f"a {type(module).__name__} module ('{node.target}')")

    def _call(self, node: Any, args: tuple, kwargs: dict, depends: list[bool], n_ref: int) -> Any:
        import torch

        target = node.target
        if node.op == "call_module":
            if any(depends[1:]) or kwargs:
                raise _refuse(f"module '{target}' called with several inputs")
            return self._call_module(node, args[0], n_ref)
        name = target if node.op == "call_method" else self._elementwise.get(target)
        if name in _SETTINGS_KEPT:
            import torch.nn.functional as F

            function = getattr(torch, name) if name in ("sigmoid", "tanh") else getattr(F, name)
            settings = {k: v for k, v in kwargs.items() if k != "inplace"}
            kept = args[1:1 + _SETTINGS_KEPT[name]]  # positional settings, never the in-place flag
            return self._rescale.apply(args[0], lambda z: function(z, *kept, **settings), n_ref)
        if node.op == "call_method" and target in _SHAPE_METHODS or node.op == "call_function" and target in (
                *_LINEAR_FUNCTIONS, torch.flatten, torch.cat, torch.add, torch.sub):
            if node.op == "call_method":
                return getattr(args[0], target)(*args[1:], **kwargs)
            if target is torch.cat and kwargs.get("dim", args[1] if len(args) > 1 else 0) == 0:
                raise _refuse("torch.cat along the rows")
            return target(*args, **kwargs)
        if target in (operator.mul, operator.truediv, torch.mul):
            if sum(depends) > 1 or target is operator.truediv and len(depends) > 1 and depends[1]:
                raise _refuse("a product or quotient of two tensors computed from the input")
            return target(*args, **kwargs)
        if (node.op == "call_function" and target in (torch.softmax, torch.nn.functional.softmax)
                or node.op == "call_method" and target == "softmax"):
            if self._softmax_dim(node) not in (-1, 1) or args[0].dim() != 2:
                raise _refuse("a softmax that is not over the features of a 2-D tensor")
            return self._softmax.apply(args[0], n_ref)
        if node.op == "call_function" and target is torch.nn.functional.dropout:
            return args[0]  # explained as in eval mode
        if node.op == "call_function" and target is torch.nn.functional.linear:
            return target(*args, **kwargs)
        what = target if isinstance(target, str) else getattr(target, "__name__", repr(target))
        raise _refuse(f"the operation {what!r} in the forward() of {type(self.module).__name__}")

    def run(self, batch: Any, *, n_ref: int, head: str = "as_is") -> Any:
        """The network's output on ``batch`` (float64): pairs, then their ``n_ref`` references (see the
        module's docstring); a batch of ``n_ref`` rows alone is evaluated as references only."""
        import torch

        values: dict[Any, Any] = {}
        depends: dict[Any, bool] = {}

        def value(arg: Any) -> Any:
            return torch.fx.node.map_arg(arg, lambda n: values[n])

        def depends_on_input(arg: Any) -> bool:
            found = []
            torch.fx.node.map_arg(arg, lambda n: found.append(depends[n]))
            return any(found)

        stop = self._output.args[0] if head == "without" and self.final is not None else None
        for node in self.graph.nodes:
            if node.op == "placeholder":
                values[node], depends[node] = batch, True
            elif node.op == "get_attr":
                owner, _, attribute = node.target.rpartition(".")
                tensor = getattr(self.module.get_submodule(owner) if owner else self.module, attribute)
                values[node], depends[node] = self._param(tensor), False
            elif node.op == "output":
                break
            else:
                args, kwargs = value(node.args), value(node.kwargs)
                flags = [depends_on_input(a) for a in node.args] or [False]
                values[node] = self._call(node, args, kwargs, flags, n_ref)
                depends[node] = depends_on_input(node.args) or depends_on_input(node.kwargs)
            if node is stop:
                return values[node]
        out = values[self._output] if hasattr(self._output, "op") else None
        if not isinstance(out, torch.Tensor):
            raise _refuse(f"a forward() of {type(self.module).__name__} that returns {type(out).__name__}",
                          " (it must return one tensor)")
        if head == "softmax":
            return self._softmax.apply(out, n_ref)
        if head == "sigmoid":
            return self._rescale.apply(out, torch.sigmoid, n_ref)
        return out


def deeplift_values(network: Network, rows: np.ndarray, background: np.ndarray, weights: np.ndarray, *,
                    head: str, max_batch_pairs: int) -> tuple[np.ndarray, np.ndarray]:
    """Local values (n_outputs, n_rows, n_features) and expected values (n_outputs,).

    ``local[k, i] = sum_b weights[b] * m_k(x_i, r_b) * (x_i - r_b)``, ``m_k`` the rescale multipliers
    of output ``k`` for the pair; ``expected[k] = sum_b weights[b] * f_k(r_b)``. The references are
    carried once per batch of pairs, and gradients flow through the pairs only.
    """
    torch = import_torch()
    reference = torch.as_tensor(background, dtype=torch.float64)
    w = torch.as_tensor(weights, dtype=torch.float64)
    n_ref, n_features = reference.shape
    with torch.no_grad():
        at_reference = network.run(reference, n_ref=n_ref, head=head).reshape(n_ref, -1)
    expected = (w @ at_reference).numpy()
    n_outputs = at_reference.shape[1]
    local = np.empty((n_outputs, len(rows), n_features))
    chunk = max(1, max_batch_pairs // n_ref)
    for start in range(0, len(rows), chunk):
        x = torch.as_tensor(rows[start:start + chunk], dtype=torch.float64)
        n = x.shape[0]
        difference = (x[:, None, :] - reference[None]).reshape(n * n_ref, n_features)
        batch = torch.cat([x.repeat_interleave(n_ref, dim=0), reference]).requires_grad_(True)
        with torch.enable_grad():
            out = network.run(batch, n_ref=n_ref, head=head)[: n * n_ref].reshape(n * n_ref, -1)
            for k in range(n_outputs):
                (grad,) = torch.autograd.grad(out[:, k].sum(), batch, retain_graph=k < n_outputs - 1)
                contributions = (grad[: n * n_ref] * difference).reshape(n, n_ref, n_features)
                local[k, start:start + n] = torch.einsum("inf,n->if", contributions, w).numpy()
    return local, expected
