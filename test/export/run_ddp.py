"""An exported module under DistributedDataParallel (gloo, 2 processes on the CPU) against one process.

usage: run_ddp.py MODULE.py CHECKPOINT.safetensors DATA.safetensors OUT.safetensors LAYERS BIDIRECTIONAL(0|1)
DATA holds input [T, B, X] (B even), lengths [B], grad_output [T, B, D*H] and grad_<state>_n. Each of STEPS SGD
steps uses loss = (sum(output * grad_output) + sum_states(sum(final * grad_final))) / B, rank r taking examples
r::2 (its half of the global batch; DDP averages the two halves' gradients). OUT gets, for every step and
parameter, the gradient of rank 0 (ddp.<step>.<name>), of rank 1 (ddp1.<step>.<name>) and of one process over
the whole batch (single.<step>.<name>).
"""
import os
import sys
import tempfile

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from export_io import load_module, save_safetensors

STEPS = 3
LR = 0.5


def train(m, rnn, data, rows, batch):
    """STEPS SGD steps on examples `rows`; returns each step's gradients by name."""
    optimizer = torch.optim.SGD(rnn.parameters(), lr=LR)
    names = [n for n, _ in (rnn.module if hasattr(rnn, "module") else rnn).named_parameters()]
    grads = []
    for _ in range(STEPS):
        optimizer.zero_grad()
        output, h_n = rnn(data["input"][:, rows], None, data["lengths"][rows])
        finals = (h_n,) if len(m.STATES) == 1 else h_n
        loss = (output * data["grad_output"][:, rows]).sum()
        for s, h in zip(m.STATES, finals):
            loss = loss + (h * data["grad_%s_n" % s][:, rows]).sum()
        (loss / batch).backward()
        grads.append({n: p.grad.clone() for n, p in zip(names, rnn.parameters())})
        optimizer.step()
    return grads


def from_checkpoint(m, path, layers, bidirectional):
    """RNN.from_state_dict on a cellforge checkpoint: sizes from the weights, adam.* and head.* left out."""
    rnn = m.RNN.from_state_dict(m.load_safetensors(path))
    assert (rnn.num_layers, rnn.bidirectional) == (layers, bidirectional), (rnn.num_layers, rnn.bidirectional)
    return rnn


def worker(rank, module, weights, data_path, layers, bidirectional, rendezvous, out_dir):
    dist.init_process_group("gloo", init_method="file://" + rendezvous, rank=rank, world_size=2)
    torch.manual_seed(0)
    m = load_module(module)
    data = m.load_safetensors(data_path)
    B = data["input"].shape[1]
    ddp = torch.nn.parallel.DistributedDataParallel(from_checkpoint(m, weights, layers, bidirectional))
    # Each rank divides its half's sum by its own batch size B/2; DDP averages the two: the whole batch's mean.
    grads = train(m, ddp, data, torch.arange(rank, B, 2), B / 2)
    save_safetensors(os.path.join(out_dir, "rank%d.safetensors" % rank),
                     {"%d.%s" % (i, n): g for i, step in enumerate(grads) for n, g in step.items()})
    dist.destroy_process_group()


def main():
    module, weights, data_path, out = sys.argv[1:5]
    layers, bidirectional = int(sys.argv[5]), sys.argv[6] == "1"
    with tempfile.TemporaryDirectory() as tmp:
        mp.spawn(worker, args=(module, weights, data_path, layers, bidirectional, os.path.join(tmp, "rendezvous"), tmp),
                 nprocs=2, join=True)
        m = load_module(module)
        ranks = [m.load_safetensors(os.path.join(tmp, "rank%d.safetensors" % r)) for r in range(2)]
    data = m.load_safetensors(data_path)
    B = data["input"].shape[1]
    single = train(m, from_checkpoint(m, weights, layers, bidirectional), data, torch.arange(B), B)
    result = {}
    for i, step in enumerate(single):
        for n, g in step.items():
            result["single.%d.%s" % (i, n)] = g
            result["ddp.%d.%s" % (i, n)] = ranks[0]["%d.%s" % (i, n)]
            result["ddp1.%d.%s" % (i, n)] = ranks[1]["%d.%s" % (i, n)]
    save_safetensors(out, result)


if __name__ == "__main__":
    main()
