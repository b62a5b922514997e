"""PyTorch CPU anchor for `npm run bench -- students`: Adam steps of [d, w, w, 1] ReLU in float32."""
import argparse
import json
import time

import torch

from rss import peak_rss_mib

p = argparse.ArgumentParser()
p.add_argument("--sizes", required=True)
p.add_argument("--batch", type=int, required=True)
p.add_argument("--steps", type=int, required=True)
p.add_argument("--threads", type=int, default=2)
a = p.parse_args()
torch.set_num_threads(a.threads)
sizes = json.loads(a.sizes)
layers = []
for i in range(len(sizes) - 1):
    layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
    if i < len(sizes) - 2:
        layers.append(torch.nn.ReLU())
net = torch.nn.Sequential(*layers)
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
g = torch.Generator().manual_seed(7)
rows = 20_000
x = torch.rand(rows, sizes[0], generator=g) * 2 - 1
y = (torch.sin(x[:, 0]) + x[:, 1]).reshape(-1, 1)


def step():
    idx = torch.randint(0, rows, (a.batch,), generator=g)
    opt.zero_grad()
    loss = torch.nn.functional.mse_loss(net(x[idx]), y[idx])
    loss.backward()
    opt.step()


for _ in range(20):
    step()
start = time.perf_counter()
for _ in range(a.steps):
    step()
seconds = time.perf_counter() - start
flops = 6 * a.batch * sum(sizes[i] * sizes[i + 1] for i in range(len(sizes) - 1))
print(json.dumps({"seconds": seconds, "steps": a.steps, "stepsPerSecond": a.steps / seconds, "samplesPerSecond": a.steps * a.batch / seconds,
                  "gflops": flops * a.steps / seconds / 1e9, "peakRssMiB": peak_rss_mib(), "torch": torch.__version__, "threads": torch.get_num_threads()}))
