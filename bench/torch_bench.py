"""PyTorch CPU reference for `npm run bench`: the same workloads, forward + backward, median ms.

Usage: /usr/bin/python3 bench/torch_bench.py REPS  → prints one JSON object {row: median_ms}.
"""
import json
import statistics
import sys
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(2)
torch.manual_seed(0)


def workloads():
    n = 1024
    y = (torch.rand(n, n) < 0.5).float()
    x = torch.randn(n, n)

    def focal(logits, target, gamma=2.0):
        p = torch.sigmoid(logits)
        ce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
        p_t = p * target + (1 - p) * (1 - target)
        return (ce * (1 - p_t) ** gamma).mean()

    yield "bce-logits 1024x1024", x, lambda p: F.binary_cross_entropy_with_logits(p, y)
    yield "binary-focal 1024x1024", x, lambda p: focal(p, y)
    yield "mse 1024x1024", x, lambda p: F.mse_loss(p, y)
    yield "huber 1024x1024", x, lambda p: F.huber_loss(p, y)
    for b, c in ((256, 32768), (4096, 1000)):
        logits = torch.randn(b, c)
        labels = torch.randint(0, c, (b,))
        yield f"softmax-ce {b}x{c}", logits, (lambda lab: lambda p: F.cross_entropy(p, lab))(labels)
    # CTC from logits (log-softmax included, as in lossforge's ctc), summed over the batch.
    t, b, c, s = 200, 16, 40, 50
    logits = torch.randn(b, t, c)
    targets = torch.randint(1, c, (b, s))
    input_lengths = torch.full((b,), t, dtype=torch.long)
    target_lengths = torch.full((b,), s, dtype=torch.long)
    yield f"ctc T{t} B{b} C{c} S{s}", logits, lambda p: F.ctc_loss(
        F.log_softmax(p, -1).transpose(0, 1), targets, input_lengths, target_lengths, blank=0, reduction="sum"
    )


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    out = {}
    for name, x, fn in workloads():
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
        out[name] = statistics.median(times)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
