// The fixed Python of an exported PyTorch file: parameters, Cell, RNN (nn.LSTM's conventions, cellforge's keys,
// lengths semantics) and load_safetensors. pytorch.ts writes the cell's own STATES, PARAMS, _project and _step.

/** Helpers and the Cell class, for every cell. */
export const pythonLibrary = String.raw`
def _shape(dims, X, H):
    size = {"X": X, "H": H, "1": 1}
    return tuple(m * size[sym] for m, sym in dims)


def _make_params(module, suffix, X, H):
    for name, dims, _ in PARAMS:
        # Set directly (as register_parameter does after its checks): a cell may name a parameter like an attribute
        # of nn.Module (forward, cuda, ...), and the state-dict key must still be exactly the cell's name.
        module._parameters[name + suffix] = torch.nn.Parameter(torch.empty(_shape(dims, X, H)))


def _init_params(module, suffix, H):
    """cellforge's rule (PyTorch's for RNNs): uniform in ±1/sqrt(H), unless the cell declares a constant."""
    bound = 1.0 / math.sqrt(H)
    with torch.no_grad():
        for name, _, value in PARAMS:
            w = module._parameters[name + suffix]
            if value is None:
                w.uniform_(-bound, bound)
            else:
                w.fill_(value)


class Cell(torch.nn.Module):
    """One step: forward(x [B, X], states) with states a tuple in STATES order, each [B, H]; returns the new tuple."""

    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        _make_params(self, "", input_size, hidden_size)
        self.reset_parameters()

    def reset_parameters(self):
        _init_params(self, "", self.hidden_size)

    def forward(self, x, states):
        p = self._parameters
        X, H = self.input_size, self.hidden_size
        return _step(p, _project(p, x, X, H), tuple(states), X, H)


_DTYPES = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
           "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8}


def load_safetensors(path):
    """The tensors of a .safetensors file (cellforge's weights or checkpoint) by name, with the standard library.

    A checkpoint also holds optimiser state (adam.m.*) and task layers (head.*): keep the RNN's own keys with
    {k: v for k, v in load_safetensors(path).items() if "." not in k}.
    """
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length].decode("utf-8"))
    start = 8 + length
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        raw = bytearray(data[start + begin:start + end])
        dtype = _DTYPES[entry["dtype"]]
        tensor = torch.frombuffer(raw, dtype=dtype) if raw else torch.empty(0, dtype=dtype)
        out[name] = tensor.reshape(entry["shape"])
    return out


def _layout(state_dict):
    """input_size, hidden_size, num_layers, bidirectional of the RNN whose weights are state_dict's."""
    sizes = {}
    for name, dims, _ in PARAMS:
        shape = state_dict[name + "_l0"].shape
        for (m, sym), n in zip(dims, shape):
            if sym != "1":
                sizes[sym] = n // m
    layers = 1 + max(int(k.split("_l")[-1].split("_")[0]) for k in state_dict if "_l" in k)
    return sizes["X"], sizes["H"], layers, any(k.endswith("_reverse") for k in state_dict)


def _from_state_dict(cls, state_dict, **options):
    # A checkpoint also holds optimiser state (adam.m.*) and task layers (head.*): the RNN's keys have no dot.
    own = {k: v for k, v in state_dict.items() if "." not in k}
    input_size, hidden_size, num_layers, bidirectional = _layout(own)
    rnn = cls(input_size, hidden_size, num_layers=num_layers, bidirectional=bidirectional, **options)
    rnn.load_state_dict(own)
    return rnn


def _suffixes(bidirectional):
    return ("", "_reverse") if bidirectional else ("",)


def _as_lengths(lengths, device):
    return torch.as_tensor(lengths, device=device).to(torch.int64)
`;

/** RNN as generated code around _project and _step. */
export const pythonRNN = String.raw`
def _reverse(x, lengths):
    """Each sequence reversed within its length (cellforge's reverse direction); steps past it stay in place."""
    if lengths is None:
        return x.flip(0)
    t = torch.arange(x.shape[0], device=x.device).unsqueeze(1)
    n = lengths.unsqueeze(0)
    index = torch.where(t < n, n - 1 - t, t)
    return x.gather(0, index.unsqueeze(2).expand(x.shape))


def _run(p, x, states, mask, X, H):
    """One layer in one direction over x [T, B, X]: outputs [T, B, H] and the final states."""
    xs = _project(p, x, X, H)
    outputs = []
    for t in range(x.shape[0]):
        new = _step(p, tuple(v[t] for v in xs), states, X, H)
        if mask is not None:
            # Past its length an example keeps its state and outputs zeros.
            m = mask[t]
            new = tuple(torch.where(m, a, b) for a, b in zip(new, states))
            outputs.append(torch.where(m, new[0], torch.zeros_like(new[0])))
        else:
            outputs.append(new[0])
        states = new
    return torch.stack(outputs), states


class RNN(torch.nn.Module):
    """The cell over sequences, with torch.nn.LSTM's conventions and cellforge's state-dict keys and semantics.

    forward(input [T, B, X] (or [B, T, X] with batch_first), hx=None, lengths=None) -> (output, h_n), where hx and
    h_n are one tensor [L*D, B, H] for a one-state cell, else a tuple in STATES order. lengths [B]: outputs past an
    example's length are zero, its final states are those of its last valid step, the reverse direction starts there.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bidirectional=False, batch_first=False, dropout=0.0):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.batch_first = batch_first
        self.dropout = float(dropout)
        directions = 2 if bidirectional else 1
        for layer in range(num_layers):
            for suffix in _suffixes(bidirectional):
                X = input_size if layer == 0 else directions * hidden_size
                _make_params(self, "_l%d%s" % (layer, suffix), X, hidden_size)
        self.reset_parameters()

    @classmethod
    def from_state_dict(cls, state_dict, **options):
        """The RNN that cellforge weights or a checkpoint (load_safetensors) describe, with them loaded; options:
        batch_first, dropout."""
        return _from_state_dict(cls, state_dict, **options)

    def reset_parameters(self):
        for layer in range(self.num_layers):
            for suffix in _suffixes(self.bidirectional):
                _init_params(self, "_l%d%s" % (layer, suffix), self.hidden_size)

    def forward(self, input, hx=None, lengths=None):
        x = input.transpose(0, 1) if self.batch_first else input
        T, B = x.shape[0], x.shape[1]
        L, D, H = self.num_layers, 2 if self.bidirectional else 1, self.hidden_size
        if hx is None:
            initial = [x.new_zeros(L * D, B, H) for _ in STATES]
        else:
            initial = [hx] if len(STATES) == 1 else list(hx)
            if len(initial) != len(STATES):
                raise ValueError("hx must hold %d states %s, got %d" % (len(STATES), STATES, len(initial)))
        mask = None
        if lengths is not None:
            lengths = _as_lengths(lengths, x.device)
            mask = (torch.arange(T, device=x.device).unsqueeze(1) < lengths.unsqueeze(0)).unsqueeze(2)
        finals = [[] for _ in STATES]
        layer_input = x
        for layer in range(L):
            X = self.input_size if layer == 0 else D * H
            outputs = []
            for d, suffix in enumerate(_suffixes(self.bidirectional)):
                p = {name: self._parameters[name + "_l%d%s" % (layer, suffix)] for name, _, _ in PARAMS}
                slot = layer * D + d
                seq = layer_input if d == 0 else _reverse(layer_input, lengths)
                out, last = _run(p, seq, tuple(s[slot] for s in initial), mask, X, H)
                outputs.append(out if d == 0 else _reverse(out, lengths))
                for k, v in enumerate(last):
                    finals[k].append(v)
            layer_input = outputs[0] if D == 1 else torch.cat(outputs, 2)
            if self.dropout > 0 and self.training and layer < L - 1:
                layer_input = torch.nn.functional.dropout(layer_input, self.dropout, True)
        output = layer_input.transpose(0, 1) if self.batch_first else layer_input
        h_n = tuple(torch.stack(f) for f in finals)
        return output, (h_n[0] if len(STATES) == 1 else h_n)
`;

/** RNN as a thin wrapper over torch.nn.LSTM / GRU / RNN: the same keys, initialisation and numbers, and faster. */
export function pythonNativeRNN(torchClass: string, nonlinearity: string | undefined): string {
  const extra = nonlinearity ? `, nonlinearity=${JSON.stringify(nonlinearity)}` : '';
  return String.raw`
class RNN(torch.nn.${torchClass}):
    """The cell over sequences: torch.nn.${torchClass} (its keys and initialisation are cellforge's), plus lengths.

    forward(input [T, B, X] (or [B, T, X] with batch_first), hx=None, lengths=None) -> (output, h_n) as
    torch.nn.${torchClass}. lengths [B]: outputs past an example's length are zero, its final states are those of its
    last valid step, the reverse direction starts there (pack_padded_sequence's semantics).
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bidirectional=False, batch_first=False, dropout=0.0):
        super().__init__(input_size, hidden_size, num_layers=num_layers, bidirectional=bidirectional,
                         batch_first=batch_first, dropout=dropout${extra})

    @classmethod
    def from_state_dict(cls, state_dict, **options):
        """The RNN that cellforge weights or a checkpoint (load_safetensors) describe, with them loaded; options:
        batch_first, dropout."""
        return _from_state_dict(cls, state_dict, **options)

    def forward(self, input, hx=None, lengths=None):
        if lengths is None:
            return super().forward(input, hx)
        T = input.shape[1 if self.batch_first else 0]
        packed = torch.nn.utils.rnn.pack_padded_sequence(
            input, _as_lengths(lengths, "cpu"), batch_first=self.batch_first, enforce_sorted=False)
        output, h_n = super().forward(packed, hx)
        output, _ = torch.nn.utils.rnn.pad_packed_sequence(output, batch_first=self.batch_first, total_length=T)
        return output, h_n
`;
}
