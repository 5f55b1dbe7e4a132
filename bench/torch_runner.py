# PyTorch as a benchmark contender (bench/contenders/torch.ts starts this as a child process).
# Protocol: one JSON object per line on stdin, one JSON reply per line on stdout.
#   {"op": "prepare", "id", "cell": lstm|gru|mgu, "impl": builtin|custom, "mode": fwd|fwd+bwd, "B", "X", "H", "T",
#    "threads", "dir"}   -> reads dir/x.f32, dir/gout.f32 and dir/<param>.f32 (float32, row-major), runs once,
#                           writes dir/out-<id>.f32 (the forward output) -> {"ok": true}
#   {"op": "run", "id", "reps"} -> {"ms": mean milliseconds of reps runs, timed here (no pipe overhead)}
#   {"op": "dispose", "id"}     -> {"ok": true}
# builtin: nn.LSTM / nn.GRU. custom: the same cell (and MGU) written as a TorchScript module, as a researcher would
# write a new cell: the input projection of all steps in one product, then a Python-level loop over time.
# export: any cell as `cellforge export --to pytorch` writes it ("module": the .py; eager, the same hoisting), its
# parameters read from dir/<state-dict name>.f32 (bench/custom-cells.ts).
import importlib.util
import json
import os
import sys
import time

import numpy as np
import torch
from torch import Tensor, nn


class LSTMCustom(nn.Module):
    def __init__(self, X: int, H: int):
        super().__init__()
        self.H = H
        self.weight_ih_l0 = nn.Parameter(torch.empty(4 * H, X))
        self.weight_hh_l0 = nn.Parameter(torch.empty(4 * H, H))
        self.bias_ih_l0 = nn.Parameter(torch.empty(4 * H))
        self.bias_hh_l0 = nn.Parameter(torch.empty(4 * H))

    def forward(self, x: Tensor) -> Tensor:
        T, B = x.shape[0], x.shape[1]
        xw = torch.addmm(self.bias_ih_l0, x.reshape(T * B, -1), self.weight_ih_l0.t()).reshape(T, B, -1)
        h = x.new_zeros(B, self.H)
        c = x.new_zeros(B, self.H)
        outs = []
        for t in range(T):
            g = xw[t] + torch.addmm(self.bias_hh_l0, h, self.weight_hh_l0.t())
            i, f, n, o = g.chunk(4, 1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(n)
            h = torch.sigmoid(o) * torch.tanh(c)
            outs.append(h)
        return torch.stack(outs)


class GRUCustom(nn.Module):
    def __init__(self, X: int, H: int):
        super().__init__()
        self.H = H
        self.weight_ih_l0 = nn.Parameter(torch.empty(3 * H, X))
        self.weight_hh_l0 = nn.Parameter(torch.empty(3 * H, H))
        self.bias_ih_l0 = nn.Parameter(torch.empty(3 * H))
        self.bias_hh_l0 = nn.Parameter(torch.empty(3 * H))

    def forward(self, x: Tensor) -> Tensor:
        T, B = x.shape[0], x.shape[1]
        xw = torch.addmm(self.bias_ih_l0, x.reshape(T * B, -1), self.weight_ih_l0.t()).reshape(T, B, -1)
        h = x.new_zeros(B, self.H)
        outs = []
        for t in range(T):
            xr, xz, xn = xw[t].chunk(3, 1)
            hr, hz, hn = torch.addmm(self.bias_hh_l0, h, self.weight_hh_l0.t()).chunk(3, 1)
            r = torch.sigmoid(xr + hr)
            z = torch.sigmoid(xz + hz)
            n = torch.tanh(xn + r * hn)
            h = (1 - z) * n + z * h
            outs.append(h)
        return torch.stack(outs)


class MGUCustom(nn.Module):
    """Minimal gated unit as in samples/cells/mgu.cell.ts: only the rows of weight_hh each product needs."""

    def __init__(self, X: int, H: int):
        super().__init__()
        self.H = H
        self.weight_ih_l0 = nn.Parameter(torch.empty(2 * H, X))
        self.weight_hh_l0 = nn.Parameter(torch.empty(2 * H, H))
        self.bias_ih_l0 = nn.Parameter(torch.empty(2 * H))
        self.bias_hh_l0 = nn.Parameter(torch.empty(2 * H))

    def forward(self, x: Tensor) -> Tensor:
        T, B, H = x.shape[0], x.shape[1], self.H
        xw = torch.addmm(self.bias_ih_l0, x.reshape(T * B, -1), self.weight_ih_l0.t()).reshape(T, B, -1)
        h = x.new_zeros(B, H)
        wf, wn = self.weight_hh_l0[:H], self.weight_hh_l0[H:]
        bf, bn = self.bias_hh_l0[:H], self.bias_hh_l0[H:]
        outs = []
        for t in range(T):
            xf, xn = xw[t].chunk(2, 1)
            f = torch.sigmoid(xf + torch.addmm(bf, h, wf.t()))
            n = torch.tanh(xn + torch.addmm(bn, f * h, wn.t()))
            h = (1 - f) * h + f * n
            outs.append(h)
        return torch.stack(outs)


CUSTOM = {"lstm": LSTMCustom, "gru": GRUCustom, "mgu": MGUCustom}
prepared = {}


def load(d, name, shape):
    return torch.from_numpy(np.fromfile(os.path.join(d, name + ".f32"), dtype=np.float32).reshape(shape))


def prepare(m):
    torch.set_num_threads(m["threads"])
    B, X, H, T, d = m["B"], m["X"], m["H"], m["T"], m["dir"]
    if m["impl"] == "export":
        prepare_export(m)
        return
    gates = {"lstm": 4, "gru": 3, "mgu": 2}[m["cell"]]
    if m["impl"] == "builtin":
        model = (nn.LSTM if m["cell"] == "lstm" else nn.GRU)(X, H)
        run_model = lambda x: model(x)[0]
    else:
        model = CUSTOM[m["cell"]](X, H)
        model = torch.jit.script(model)
        run_model = model
    with torch.no_grad():
        model.weight_ih_l0.copy_(load(d, "weight_ih_l0", (gates * H, X)))
        model.weight_hh_l0.copy_(load(d, "weight_hh_l0", (gates * H, H)))
        model.bias_ih_l0.copy_(load(d, "bias_ih_l0", (gates * H,)))
        model.bias_hh_l0.copy_(load(d, "bias_hh_l0", (gates * H,)))
    x = load(d, "x", (T, B, X))
    gout = load(d, "gout", (T, B, H))
    finish(m, model, run_model, x, gout)


def prepare_export(m):
    B, X, H, T, d = m["B"], m["X"], m["H"], m["T"], m["dir"]
    spec = importlib.util.spec_from_file_location("exported_%d" % m["id"], m["module"])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.RNN(X, H)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(load(d, name, tuple(p.shape)))
    finish(m, model, lambda x: model(x)[0], load(d, "x", (T, B, X)), load(d, "gout", (T, B, H)))


def finish(m, model, run_model, x, gout):
    """The step to time (forward, or forward and backward), run once; its forward output written for the check."""
    if m["mode"] == "fwd":
        model.eval()

        def step():
            with torch.no_grad():
                return run_model(x)
    else:
        model.train()
        params = list(model.parameters())

        def step():
            for p in params:
                p.grad = None
            out = run_model(x)
            out.backward(gout)
            return out

    out = step()
    out.detach().numpy().astype(np.float32).tofile(os.path.join(m["dir"], "out-%d.f32" % m["id"]))
    prepared[m["id"]] = step


def main():
    for line in sys.stdin:
        m = json.loads(line)
        try:
            if m["op"] == "prepare":
                prepare(m)
                reply = {"ok": True}
            elif m["op"] == "run":
                step = prepared[m["id"]]
                t0 = time.perf_counter()
                for _ in range(m["reps"]):
                    step()
                reply = {"ms": (time.perf_counter() - t0) * 1000 / m["reps"]}
            elif m["op"] == "dispose":
                prepared.pop(m["id"], None)
                reply = {"ok": True}
            elif m["op"] == "version":
                reply = {"torch": torch.__version__, "threads": torch.get_num_threads()}
            else:
                reply = {"error": "unknown op " + m["op"]}
        except Exception as e:  # reported to the benchmark as this contender's error for the row
            reply = {"error": "%s: %s" % (type(e).__name__, str(e).splitlines()[0] if str(e) else "")}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
