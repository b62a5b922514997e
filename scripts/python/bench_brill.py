"""Brill's generator (aribrill/percolation-synthetic-data, percolation_dataset.py) timed on one cluster of
`--points` points in `--dim` dimensions, points and labels saved to .npy as percolab generate does.
Prints one JSON line: seconds (construct_embed + save), points per second, peak RSS."""
import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np

from rss import peak_rss_mib

parser = argparse.ArgumentParser()
parser.add_argument("--dir", required=True, help="folder holding Brill's percolation_dataset.py")
parser.add_argument("--points", type=int, required=True)
parser.add_argument("--dim", type=int, required=True)
parser.add_argument("--mode", default="one_cluster")
args = parser.parse_args()

sys.path.insert(0, args.dir)
from percolation_dataset import PercolationDataset, Seeds  # noqa: E402

start = time.perf_counter()
dataset = PercolationDataset(mode=args.mode, seeds=Seeds(graph=1, embed=2, value=3))
_points, _latents, X, y = dataset.construct_embed(size=args.points, d=args.dim)
with tempfile.TemporaryDirectory() as folder:
    np.save(os.path.join(folder, "x.npy"), X.astype(np.float32))
    np.save(os.path.join(folder, "y.npy"), y.astype(np.float32))
seconds = time.perf_counter() - start
print(json.dumps({"points": args.points, "dim": args.dim, "mode": args.mode, "seconds": seconds, "pointsPerSecond": args.points / seconds, "peakRssMiB": peak_rss_mib()}))
