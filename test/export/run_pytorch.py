"""Runs exported PyTorch modules on the export tests' cases, all in one process (importing torch costs seconds).

usage: run_pytorch.py MANIFEST.json
Each case: {"module", "weights", "inputs", "out", "layers", "bidirectional", "batch_first", "input_size",
"hidden_size", "dtype", "compile" (a torch.compile backend, or absent)}. Writes to "out" (a .safetensors of
float64) the output, <state>_n, d_input, d_<state>0 (with initial states), grad.<parameter> for every parameter and, for 1-layer cases, cell_step: the
exported Cell's first step from the same initial states, which must equal output[0].
"""
import json
import sys

import torch

from export_io import load_module, save_safetensors


def run(case):
    m = load_module(case["module"])
    dtype = torch.float64 if case["dtype"] == "float64" else torch.float32
    # from_state_dict reads the sizes from the weights; they must be the case's.
    rnn = m.RNN.from_state_dict(m.load_safetensors(case["weights"]), batch_first=case["batch_first"]).to(dtype)
    layout = (rnn.input_size, rnn.hidden_size, rnn.num_layers, rnn.bidirectional)
    want = (case["input_size"], case["hidden_size"], case["layers"], case["bidirectional"])
    if layout != want:
        raise ValueError("RNN.from_state_dict: %s, expected %s" % (layout, want))
    data = m.load_safetensors(case["inputs"])
    x = data["input"].to(dtype).requires_grad_()
    initial = [data[s + "0"].to(dtype).requires_grad_() for s in m.STATES if s + "0" in data]
    hx = None if not initial else initial[0] if len(m.STATES) == 1 else tuple(initial)
    forward = torch.compile(rnn, backend=case["compile"]) if case.get("compile") else rnn
    output, h_n = forward(x, hx, data.get("lengths"))
    finals = (h_n,) if len(m.STATES) == 1 else h_n
    loss = (output * data["grad_output"].to(dtype)).sum()
    for s, h in zip(m.STATES, finals):
        loss = loss + (h * data["grad_%s_n" % s].to(dtype)).sum()
    loss.backward()
    out = {"output": output, "d_input": x.grad}
    for s, h in zip(m.STATES, finals):
        out[s + "_n"] = h
    for s, t in zip(m.STATES, initial):
        out["d_%s0" % s] = t.grad
    for name, p in rnn.named_parameters():
        out["grad." + name] = p.grad if p.grad is not None else torch.zeros_like(p)
    if case["layers"] == 1 and not case["bidirectional"]:
        cell = m.Cell(case["input_size"], case["hidden_size"]).to(dtype)
        cell.load_state_dict({k[:-3]: v for k, v in rnn.state_dict().items()})
        x0 = x[:, 0] if case["batch_first"] else x[0]
        B = x0.shape[0]
        states = tuple(t[0] for t in initial) if initial else tuple(x0.new_zeros(B, case["hidden_size"]) for _ in m.STATES)
        with torch.no_grad():
            out["cell_step"] = cell(x0, states)[0]
    save_safetensors(case["out"], out)


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    torch.manual_seed(0)
    for case in cases:
        try:
            run(case)
        except Exception as e:  # one case's failure is reported by its test, with this message
            with open(case["out"] + ".error", "w") as f:
                f.write("%s: %s" % (type(e).__name__, e))


if __name__ == "__main__":
    main()
