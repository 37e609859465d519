"""PyTorch CPU reference for `npm run bench`: the same rows, forward + backward, median ms.

Usage: /usr/bin/python3 bench/torch_bench.py REPS ROWS_JSON → prints one JSON object {row: median_ms}.
ROWS_JSON is the list of row specs of bench/rows.ts ({name, family, shape, targetLength?}); each row is
built here from its family and yPred shape, so that both sides measure the same shapes. The gradient
stays in memory (p.grad), as in training.
"""
import json
import statistics
import sys
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(2)
torch.manual_seed(0)


def focal(logits, target, gamma=2.0):
    p = torch.sigmoid(logits)
    ce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    p_t = p * target + (1 - p) * (1 - target)
    return (ce * (1 - p_t) ** gamma).mean()


def workload(spec):
    """(yPred, loss of yPred) for one row spec."""
    family, shape = spec["family"], spec["shape"]
    if family in ("bce-logits", "binary-focal"):
        y = (torch.rand(*shape) < 0.5).float()
        fn = (lambda p: F.binary_cross_entropy_with_logits(p, y)) if family == "bce-logits" else (lambda p: focal(p, y))
        return torch.randn(*shape), fn
    if family in ("mse", "huber"):
        y = torch.randn(*shape)
        return torch.randn(*shape), (lambda p: F.mse_loss(p, y)) if family == "mse" else (lambda p: F.huber_loss(p, y))
    if family == "softmax-ce":
        *batch, c = shape
        labels = torch.randint(0, c, tuple(batch))
        # class axis last, as in lossforge: cross_entropy wants it at 1
        return torch.randn(*shape), lambda p: F.cross_entropy(p.reshape(-1, c), labels.reshape(-1))
    if family == "ctc":
        # CTC from logits (log-softmax included, as in lossforge's ctc), summed over the batch.
        b, t, c = shape
        s = spec["targetLength"]
        targets = torch.randint(1, c, (b, s))
        input_lengths = torch.full((b,), t, dtype=torch.long)
        target_lengths = torch.full((b,), s, dtype=torch.long)
        return torch.randn(b, t, c), lambda p: F.ctc_loss(
            F.log_softmax(p, -1).transpose(0, 1), targets, input_lengths, target_lengths, blank=0, reduction="sum"
        )
    raise ValueError(f"unknown bench family {family!r}")


def measure(x, fn, reps):
    times = []
    for i in range(reps + 2):
        p = x.clone().requires_grad_(True)
        t = time.perf_counter()
        loss = fn(p)
        loss.backward()
        _ = p.grad
        dt = (time.perf_counter() - t) * 1000
        if i >= 2:
            times.append(dt)
    return statistics.median(times)


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    specs = json.loads(sys.argv[2]) if len(sys.argv) > 2 else []
    out = {}
    for spec in specs:
        x, fn = workload(spec)
        out[spec["name"]] = measure(x, fn, reps)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
