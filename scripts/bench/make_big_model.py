#!/usr/bin/python3
"""Writes the compute-bound benchmark model to OUT_DIR: model.pt, model.json, golden.ndjson.

  /usr/bin/python3 scripts/bench/make_big_model.py OUT_DIR

An MLP 256 -> 1024 -> ReLU -> 1024 -> ReLU -> 10 with seeded random weights (nothing is trained:
only the arithmetic matters), inputs f000..f255 already standardised (mean 0, std 1 in model.json),
10 classes with softmax and a confidence_below rule, and 8 golden vectors, so that
`edgectl pack-model` accepts it and `edgectl import-model --allow-unsigned` installs it. Needs
Debian's python3-torch (the same LibTorch edgectl links).
"""

import json
import os
import sys

import torch
from torch import nn

FIELDS = [f"f{j:03d}" for j in range(256)]
LABELS = [f"class_{j}" for j in range(10)]


class BigMLP(nn.Module):
    """Plain parameters (not nn.Linear submodules) so the scripted file is the same on every run."""

    def __init__(self, sizes):
        super().__init__()
        gen = torch.Generator().manual_seed(1024)
        (a, b), (c, d), (e, g) = zip(sizes, sizes[1:])
        self.w1 = nn.Parameter(torch.randn(b, a, generator=gen) / a ** 0.5)
        self.b1 = nn.Parameter(torch.zeros(b))
        self.w2 = nn.Parameter(torch.randn(d, c, generator=gen) / c ** 0.5)
        self.b2 = nn.Parameter(torch.zeros(d))
        self.w3 = nn.Parameter(torch.randn(g, e, generator=gen) / e ** 0.5)
        self.b3 = nn.Parameter(torch.zeros(g))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(nn.functional.linear(x, self.w1, self.b1))
        h = torch.relu(nn.functional.linear(h, self.w2, self.b2))
        return nn.functional.linear(h, self.w3, self.b3)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    model = torch.jit.script(BigMLP([256, 1024, 1024, 10]).eval())
    model.save(os.path.join(out, "model.pt"))
    spec = {
        "schema_version": 1,
        "name": "bench-mlp-256",
        "version": "1.0.0",
        "description": "edgectl benchmark model: MLP 256-1024-1024-10 with random weights (compute-bound).",
        "framework": "torchscript",
        "torch_version": torch.__version__,
        "created_at": "2026-11-22T00:00:00Z",
        "input": {"kind": "features", "dtype": "float32", "fields": FIELDS,
                  "mean": [0.0] * len(FIELDS), "std": [1.0] * len(FIELDS)},
        "output": {"kind": "classification", "labels": LABELS, "activation": "softmax"},
        "anomaly": [{"rule": "confidence_below", "threshold": 0.17}],
        "golden": {"atol": 1e-3, "rtol": 1e-3},
    }
    with open(os.path.join(out, "model.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(spec, indent=2) + "\n")
    gen = torch.Generator().manual_seed(7)
    x = torch.round(torch.randn(8, len(FIELDS), generator=gen) * 1e4) / 1e4
    with torch.no_grad():
        y = model(x)
    with open(os.path.join(out, "golden.ndjson"), "w", encoding="utf-8") as f:
        for xi, yi in zip(x.tolist(), y.tolist()):
            f.write(json.dumps({"input": dict(zip(FIELDS, xi)), "output": yi}) + "\n")


if __name__ == "__main__":
    main()
