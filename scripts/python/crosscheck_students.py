"""PyTorch (CPU) side of `npm run crosscheck -- students`: the same network, initial weights and batches
as percolab's wasm trainer; writes the parameters after every step, and float64 gradients."""
import json
import sys

import numpy as np
import torch

torch.set_num_threads(1)
cases = json.load(open(sys.argv[1]))
ACT = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "gelu": torch.nn.GELU}


def network(sizes, activation, params, dtype):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1], dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(ACT[activation]())
    net = torch.nn.Sequential(*layers)
    at = 0
    with torch.no_grad():
        for layer in net:
            if isinstance(layer, torch.nn.Linear):
                w, b = layer.weight, layer.bias
                w.copy_(torch.from_numpy(params[at:at + w.numel()].reshape(w.shape)))
                at += w.numel()
                b.copy_(torch.from_numpy(params[at:at + b.numel()]))
                at += b.numel()
    return net


def flat(net):
    return torch.cat([p.detach().reshape(-1) for p in net.parameters()]).numpy()


for case in cases:
    x = np.load(case["x"])
    y = np.load(case["y"]).reshape(-1, 1)
    p0 = np.load(case["params"])
    batches = np.load(case["batches"]).reshape(-1, case["batch"])
    net = network(case["sizes"], case["activation"], p0, torch.float32)
    opt = case["optimizer"]
    if opt["kind"] == "adam":
        optimizer = torch.optim.Adam(net.parameters(), lr=opt["learningRate"], weight_decay=opt.get("weightDecay", 0.0))
    else:
        optimizer = torch.optim.SGD(net.parameters(), lr=opt["learningRate"], momentum=opt.get("momentum", 0.0), weight_decay=opt.get("weightDecay", 0.0))
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    trace = []
    for rows in batches:
        idx = torch.from_numpy(rows.astype(np.int64))
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(net(xt[idx]), yt[idx])
        loss.backward()
        optimizer.step()
        trace.append(flat(net))
    np.save(case["out"], np.stack(trace))
    # float64 gradient of the full data set's loss at the initial weights
    net64 = network(case["sizes"], case["activation"], p0.astype(np.float64), torch.float64)
    loss = torch.nn.functional.mse_loss(net64(xt.double()), yt.double())
    loss.backward()
    grad = torch.cat([p.grad.reshape(-1) for p in net64.parameters()]).numpy()
    np.save(case["out64"], np.concatenate([grad, [loss.item()]]))
print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads()}))
