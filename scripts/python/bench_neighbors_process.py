"""The anchor of `npm run bench -- neighbors-process`: the whole job of `percolab neighbors` in one Python
process (start-up and imports included): read TRAIN and QUERY (.npy), cKDTree(workers=2), write OUT.indices.npy
(int64) and OUT.distances.npy (float32)."""
import sys

import numpy as np
from scipy.spatial import cKDTree

train, query, k, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
x = np.load(train)
q = np.load(query)
dist, idx = cKDTree(x).query(q, k=k, workers=2)
np.save(f"{out}.indices.npy", np.asarray(idx, dtype=np.int64).reshape(len(q), k))
np.save(f"{out}.distances.npy", np.asarray(dist, dtype=np.float32).reshape(len(q), k))
