"""What the export tests' Python drivers share: loading an exported module from its path, writing results."""
import importlib.util
import json
import struct

import torch


def load_module(path, cache={}):
    """The exported .py at `path` as a module (loaded once per process)."""
    if path not in cache:
        spec = importlib.util.spec_from_file_location("exported_%d" % len(cache), path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        cache[path] = module
    return cache[path]


def save_safetensors(path, tensors):
    """Named tensors as a .safetensors file of float64 (the test reads it with cellforge's reader)."""
    header, chunks, offset = {}, [], 0
    for name in sorted(tensors):
        data = tensors[name].detach().to(torch.float64).contiguous().cpu().numpy().tobytes()
        header[name] = {"dtype": "F64", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    head = json.dumps(header).encode("utf-8")
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)) + head + b"".join(chunks))
