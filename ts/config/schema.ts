// The one schema of an experiment config: validation, the TypeScript types and docs/config.md's config
// reference all come from here.
import { z } from 'zod';

const int = () => z.number().int();

export const DataSchema = z
  .strictObject({
    kind: z
      .enum(['cluster', 'population', 'manifold', 'file'])
      .default('cluster')
      .describe('"cluster": a critical percolation cluster per seed; "population": many clusters with sizes n_s ~ s^-sizeExponent, each a context with its id; "manifold": a control of known dimension; "file": your own points from data.path (each seed is another random split of the same rows; Node only).'),
    dimension: int().min(1).max(4096).default(16).describe('Ambient dimension d of the embedding. File data: taken from the file\'s columns (an explicit value must match them).'),
    coordination: int()
      .min(2)
      .max(1_000_000)
      .optional()
      .describe('Coordination number z of the Bethe lattice (default 2d, so p_c = 1/(2d-1)).'),
    sampler: z
      .enum(['exact', 'grow-cut'])
      .default('exact')
      .describe('"exact": the cluster conditioned on its size (cycle lemma); "grow-cut": grow until large enough, cut at the size (naive embedder only: branching pieces and populations are exact clusters).'),
    embedder: z
      .enum(['naive', 'branching'])
      .default('naive')
      .describe('"naive": child = parent + N(0, I_d/d), one cluster of data.clusterSize sites; "branching": B^L pieces of branchSize points standing in for a much larger cluster (see README).'),
    branches: int().min(1).max(1_000_000).default(100).describe('Branching: B, pieces per level (the base cluster and B - 1 branches grown from its sites).'),
    levels: int().min(1).max(15).default(1).describe('Branching: L, levels of recursion; a seed has B^L x branchSize points.'),
    branchSize: int()
      .min(1)
      .max(2 ** 32 - 2)
      .optional()
      .describe('Branching: N_branch, points kept per piece (default: enough for 2 x (largest size + testSize) in all).'),
    baseSize: int()
      .min(2)
      .max(2 ** 32 - 1)
      .optional()
      .describe('Branching: N_hat, sites of each grown cluster before subsampling (default 10 x branchSize).'),
    clusters: int().min(1).max(100_000_000).default(2000).describe('Population: number of clusters (contexts).'),
    minClusterSize: int().min(1).max(2 ** 32 - 1).default(10).describe('Population: smallest cluster size.'),
    maxClusterSize: int().min(1).max(2 ** 32 - 1).default(100_000).describe('Population: largest cluster size.'),
    sizeExponent: z.number().gt(1).max(100).default(2.5).describe('Population: tau in n_s ~ s^-tau (5/2 at criticality on the Bethe lattice).'),
    placement: z
      .enum(['separated', 'overlapping'])
      .default('separated')
      .describe('Population: "separated" puts the clusters on a grid with their balls 10 step lengths apart; "overlapping" roots them all at the origin.'),
    manifold: z.enum(['cube', 'sphere', 'torus']).default('cube').describe('Manifold: the unit cube [0,1]^D, the unit sphere S^D, or the flat torus T^D, rotated into R^d.'),
    manifoldDimension: int().min(1).max(1024).default(4).describe('Manifold: its intrinsic dimension D (theory: exponent 2/D).'),
    clusterSize: int()
      .min(2)
      .max(2 ** 32 - 1)
      .optional()
      .describe('Sites per cluster (default: clusterFactor x (largest size + testSize)).'),
    clusterFactor: z
      .number()
      .min(1)
      .max(1e6)
      .default(50)
      .describe('Default cluster size as a multiple of (largest training size + testSize); keeps training sets far from exhausting the cluster.'),
    // File data. Nullable rather than optional: the resolved section carries every key across to Rust.
    path: z
      .string()
      .min(1)
      .regex(/\.(npy|arrow|parquet)$/, 'expected a .npy, .arrow or .parquet file')
      .nullable()
      .default(null)
      .describe('File data: the points, as `percolab generate` writes them: FILE.npy (float32 [N, d]; labels from FILE.labels.npy beside it, if there) or FILE.arrow / FILE.parquet (column x, d float32 per row; labels from column y, if there). Relative to the config file\'s folder (to the current folder with --set).'),
    labels: z
      .enum(['auto', 'file', 'teacher'])
      .default('auto')
      .describe('File data: "file": the file\'s labels (an error if it has none); "teacher": the teacher section labels the points (any file labels are ignored); "auto": the file\'s labels if it has them, else the teacher. The CLI and Node API resolve "auto" by the file. Where the file\'s labels are used the teacher section must stay at its defaults (teacher.device and repetitions aside), so a teacher set in the config is never silently unused.'),
    intrinsicDimension: z
      .number()
      .positive()
      .max(4096)
      .nullable()
      .default(null)
      .describe('File data: the data\'s intrinsic dimension D for the theory c/D, if known; else the theory uses the run\'s measured D (TwoNN on the first seed, the estimate of theory.measured; needs measure.points > 0).'),
  })
  .describe('The data distribution.');

export const TeacherSchema = z
  .strictObject({
    kind: z
      .enum(['linear', 'relu', 'fourier'])
      .default('linear')
      .describe('"linear": y = w.x, w ~ N(0, I_d/d); "relu": a random ReLU network d -> width (x depth) -> 1; "fourier": a sum of random Fourier terms on standardized inputs. Parameters come from the seed.'),
    depth: int().min(1).max(64).default(2).describe('ReLU: hidden layers.'),
    width: int().min(1).max(4096).default(100).describe('ReLU: units per hidden layer.'),
    sigmaW: z.number().positive().max(1e3).default(Math.SQRT2).describe('ReLU: weights ~ N(0, sigmaW^2 / fan_in) (sqrt 2 keeps the scale through ReLU layers).'),
    sigmaB: z.number().min(0).max(1e3).default(0).describe('ReLU: biases ~ N(0, sigmaB^2) (Sharma & Kaplan\'s default 0).'),
    terms: int().min(1).max(100_000).default(20).describe('Fourier: number of terms.'),
    maxFreq: int().min(0).max(1000).default(1).describe('Fourier: integer frequency components uniform in [-maxFreq, maxFreq].'),
    standardize: z
      .enum(['range', 'sd'])
      .default('range')
      .describe('Fourier: inputs scaled into [0, 1] ("range": minus the min, over max - min) or as z-scores ("sd": minus the mean, over the sd), per coordinate of the data labelled.'),
    scale: z.number().positive().max(1e6).default(1).describe('ReLU and Fourier: the output is multiplied by this.'),
    perCluster: z.boolean().default(false).describe('Population data: each cluster is labelled by its own teacher, drawn from the seed and the cluster id (Brill).'),
    device: z
      .enum(['auto', 'gpu', 'cpu'])
      .default('auto')
      .describe('"cpu": the wasm twin; "gpu": WebGPU (an adapter must pass the known-answer check); "auto": a hardware GPU that passes the check, else the CPU (says which on stderr).'),
    minNonlinearity: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe('Vetting: redraw the parameters until the non-linearity score is at or below this (lower = more non-linear).'),
    maxDraws: int().min(1).max(10_000).default(100).describe('Vetting: draws to try before giving up with an error.'),
    repetitions: int()
      .min(0)
      .max(100_000)
      .default(200)
      .describe('Non-linearity score: repetitions of the random slices, each d x 64 teacher evaluations per seed (0: do not score unless vetting; lower it for wide, deep teachers in high d).'),
  })
  .describe('The target function that labels the points.');

/**
 * Default relative eigenvalue cutoff of the local-linear tangent space. Too high drops directions the
 * data really span, and each dropped direction brings back a first-order error (c = 2); too low only
 * admits directions of rounding noise, whose variance on the flat controls is f32 rounding (estimated
 * 1e-10 of the largest or less). Measured (Fourier teacher, 4 seeds, exponent against 1):
 * - cube D = 4 in R^16, k = 10, N = 1000 ... 128 000: m = 4 fixed 0.928; cutoff 1e-2 0.921; cutoff 0.1 0.847
 *   (neighbourhoods at the faces and corners are anisotropic, and 0.1 cuts their short axes);
 * - percolation cluster d = 16, k = 20, N = 1000 ... 32 000: cutoff 1e-3 0.83; 1e-2 0.72; 0.1 0.51 (at
 *   k = 34, 1e-3 and 1e-5 give the same 0.76: all 16 directions pass).
 * 1e-3 keeps every direction either kind of data spans, far above rounding.
 */
export const DEFAULT_TANGENT_CUTOFF = 1e-3;

export const ModelSchema = z
  .strictObject({
    kind: z
      .enum(['knn', 'mlp'])
      .default('knn')
      .describe('"knn": exact k-nearest-neighbour regression (theory c = 2, or c = 4 with model.local "linear"); "mlp": a neural-network student trained at every size (theory c = 4; see the train section).'),
    k: int()
      .min(1)
      .max(2 ** 31)
      .optional()
      .describe('k-NN: neighbours per prediction (at most the smallest training size). Default 1 for local "constant"; for "linear" 2(m + 1), twice the coefficients of the affine fit, with m = model.tangentDimension, else data.manifoldDimension on a manifold, else data.dimension (a fractal\'s neighbourhoods span every ambient direction). A local-linear fit needs k > m + 1.'),
    weights: z
      .enum(['uniform', 'distance'])
      .default('uniform')
      .describe('k-NN: "uniform": the plain mean of the k targets; "distance": weights 1/distance (exact matches take all the weight, as in scikit-learn). A local-linear fit uses them as least-squares weights.'),
    local: z
      .enum(['constant', 'linear'])
      .default('constant')
      .describe('k-NN: "constant": the (weighted) mean of the k targets, c = 2 in the theory c/D; "linear": an affine fit on the k neighbours in their local tangent space (local PCA; least squares in the leading principal coordinates), evaluated at the query, c = 4 for smooth teachers.'),
    tangentDimension: int()
      .min(1)
      .max(4096)
      .optional()
      .describe('Local-linear: the tangent dimension m, the number of leading principal axes of each neighbourhood used (fewer where the neighbours span fewer); k must exceed m + 1. Default: chosen per query by model.tangentCutoff.'),
    tangentCutoff: z
      .number()
      .gt(0)
      .lt(1)
      .default(DEFAULT_TANGENT_CUTOFF)
      .describe('Local-linear without tangentDimension: use every principal axis of the neighbourhood whose eigenvalue (variance) exceeds this fraction of the largest, at most k - 2 of them.'),
    widths: z
      .array(int().min(1).max(65_536))
      .min(1)
      .max(64)
      .default([128, 128])
      .describe('Student: hidden-layer widths, input to output (the network is d -> widths -> 1, PyTorch nn.Linear layers).'),
    widthGrid: z
      .array(int().min(1).max(65_536))
      .min(2)
      .default([8, 16, 32, 64, 128])
      .describe('Model scaling (scaling "model"): the width of every hidden layer (as many layers as model.widths has) for each student, strictly increasing.'),
    activation: z
      .enum(['relu', 'tanh', 'gelu'])
      .default('gelu')
      .describe('Student: activation after every hidden layer (the output is linear); "gelu" is the exact erf form. GELU students reach c = 4 on the cluster where ReLU ones fall short (README, Students).'),
  })
  .describe('The learner fitted at each training-set size.');

export const TrainSchema = z
  .strictObject({
    optimizer: z.enum(['adam', 'sgd']).default('adam').describe('"adam" (PyTorch\'s Adam: betas 0.9, 0.999, eps 1e-8) or "sgd" (with momentum).'),
    learningRate: z
      .union([z.number().positive().max(10), z.array(z.number().positive().max(10)).min(1).max(16)])
      .default([0.001, 0.003])
      .describe('Initial learning rate; a list is a grid: each training size trains one student per rate and keeps the one with the lowest validation loss.'),
    momentum: z.number().min(0).lt(1).default(0.9).describe('SGD: heavy-ball momentum.'),
    weightDecay: z.number().min(0).max(10).default(0).describe('L2 weight decay added to the gradient (PyTorch\'s weight_decay).'),
    batchSize: int().min(1).max(1_000_000).default(64).describe('Minibatch rows (the whole training split when it is smaller).'),
    steps: int().min(1).max(100_000_000).default(20_000).describe('Optimizer steps at every training size, so small sizes train for many epochs.'),
    schedule: z.enum(['constant', 'cosine', 'step']).default('cosine').describe('Learning-rate schedule: "cosine" anneals to learningRate x anneal; "step" runs three equal stages at 1, sqrt(anneal), anneal times the rate.'),
    anneal: z.number().gt(0).max(1).default(0.01).describe('Final learning rate as a fraction of the first (cosine and step).'),
    validationFraction: z
      .number()
      .min(0)
      .lt(1)
      .default(0.1)
      .describe('Fraction of each training set held out to choose the learning rate, stop early and keep the best weights (0: none; the student then trains all steps on every row).'),
    patience: int().min(1).optional().describe('Early stopping: stop when the validation loss has not improved for this many steps (default: train all steps, still keeping the best weights).'),
    evalEvery: int().min(1).optional().describe('Steps between evaluations of the train, validation and test losses (default: steps / 100).'),
    widthCheck: z.boolean().default(true).describe('Also train the first seed\'s largest size at twice every width and report how much the test loss changes (resolution-limited: under 5%).'),
  })
  .describe('How students (model.kind "mlp") are trained; targets and inputs are standardized by each training split.');

/**
 * The tangent dimension m a local-linear fit must resolve: model.tangentDimension; else a manifold
 * control's D; else the ambient d. A percolation cluster has no D-dimensional tangent plane: the local PCA
 * of its neighbourhoods keeps every ambient direction above the cutoff, and the fit needs them all to see
 * the teacher's whole gradient (d = 16, Fourier teacher, 4 seeds: exponent 0.49 with m = 4 fixed at
 * k = 10, 0.60 with the cutoff at k = 10 (m capped at k - 2 = 8), 0.76 at k = 34 = 2(d + 1), against 1).
 */
export function tangentDimensionOf(config: { model: { tangentDimension?: number }; data: { kind: string; manifoldDimension: number; dimension: number } }): number {
  return config.model.tangentDimension ?? (config.data.kind === 'manifold' ? config.data.manifoldDimension : config.data.dimension);
}

/**
 * model.k, or its default: 1 for the local mean; 2(m + 1), twice the affine fit's coefficients, for a
 * local-linear fit in tangent dimension m. Measured on the cube controls (Fourier teacher, 6 seeds,
 * N = 4000 ... 256 000): k = m + 2 gave 1.83 (1.68-1.93) at D = 2 and 1.29 at D = 3 (a fit with one
 * residual degree of freedom has heavy-tailed leverage), k = 2(m + 1) gave 2.00 (1.99-2.02), 1.32
 * (1.31-1.33) and 0.97 (0.95-0.98) at D = 2, 3, 4.
 */
export function resolvedK(config: { model: { k?: number; local: string; tangentDimension?: number }; data: { kind: string; manifoldDimension: number; dimension: number } }): number {
  return config.model.k ?? (config.model.local === 'linear' ? 2 * (tangentDimensionOf(config) + 1) : 1);
}

export const FitSchema = z
  .strictObject({
    window: z
      .tuple([z.number().positive(), z.number().positive()])
      .optional()
      .describe('[nMin, nMax]: training sizes used in the exponent fit, inclusive (default: all sizes).'),
  })
  .describe('The scaling-law fit.');

export const MeasureSchema = z
  .strictObject({
    points: int()
      .min(0)
      .max(10_000_000)
      .default(20_000)
      .describe('Points of the first seed\'s data (a random subset) on which the run measures the intrinsic dimension for its report (TwoNN, MLE, CorrInt, sandbox D_q); 0 skips it.'),
  })
  .describe('The dimension measurement shown in the run report.');

export const CapacityConfigSchema = z
  .strictObject({
    draws: int()
      .min(0)
      .max(1_000_000)
      .default(0)
      .describe('GLUE manifold capacity of the first seed\'s clusters (data.kind "population") with this many Gaussian draws (at least 2); 0 skips it. With students (model.kind "mlp") also each hidden layer of the first seed\'s last student, on the same points. The run report and results.json get capacity, dimension, radius, utility and the alignments, each with its standard error.'),
    clusters: int().min(2).max(100_000).default(10).describe('The largest clusters of the data (at least 2 points each) taken as the manifolds.'),
    points: int().min(1).max(100_000).default(50).describe('Points per cluster: a seeded random subset of larger clusters (finite point counts inflate capacity).'),
    maxDimension: int().min(1).max(100_000).default(1000).describe('Random Gaussian projection to this many dimensions when the representation has more.'),
    dichotomy: z.enum(['random', 'one-versus-rest']).default('random').describe('Labels of each draw: independent fair ±1 per cluster, or draw d labels cluster d mod P +1 and the rest -1.'),
    control: z.boolean().default(true).describe('Also measure the same points with their cluster ids shuffled (same sizes, membership unrelated to the geometry).'),
  })
  .describe('Manifold capacity (GLUE) of the data\'s clusters, in the run report.');

export const ConfigSchema = z
  .strictObject({
    seed: int().min(0).max(Number.MAX_SAFE_INTEGER).default(1).describe('Base seed; repetition i uses seed + i.'),
    seeds: int().min(1).max(10_000).default(10).describe('Number of repetitions (independent clusters, teachers and splits).'),
    sizes: z
      .array(int().min(1).max(2 ** 31))
      .min(2)
      .default([1000, 2000, 4000, 8000, 16000, 32000])
      .describe('Training-set sizes N, strictly increasing; each seed uses nested subsets.'),
    testSize: int().min(1).max(10_000_000).default(2000).describe('Held-out test points per seed, disjoint from every training set.'),
    workers: int()
      .min(1)
      .max(1024)
      .optional()
      .describe('Worker threads running seeds in parallel (default: one per core; --workers overrides). Results do not depend on it.'),
    scaling: z
      .enum(['data', 'model'])
      .default('data')
      .describe('"data": loss against the training-set size N (every size in sizes); "model": students of growing width (model.widthGrid) at the largest size, loss against their parameter count P (theory also 4/D).'),
    data: DataSchema.prefault({}),
    teacher: TeacherSchema.prefault({}),
    model: ModelSchema.prefault({}),
    train: TrainSchema.prefault({}),
    fit: FitSchema.prefault({}),
    measure: MeasureSchema.prefault({}),
    capacity: CapacityConfigSchema.prefault({}),
    percolab: z
      .strictObject({ version: z.string(), seeds: z.array(int()) })
      .optional()
      .describe('Written into a run\'s config.json for the record (library version, seeds used); ignored on input.'),
  })
  .superRefine((config, ctx) => {
    if (config.capacity.draws > 0 && config.data.kind !== 'population') {
      ctx.addIssue({ code: 'custom', path: ['capacity', 'draws'], input: config.capacity.draws, message: 'needs data.kind "population" (clusters to measure)' });
    }
    if (config.capacity.draws === 1) {
      ctx.addIssue({ code: 'custom', path: ['capacity', 'draws'], input: 1, message: 'must be 0 (skip) or at least 2 (the standard errors are jackknife estimates over draws)' });
    }
    if (config.teacher.perCluster && config.data.kind !== 'population') {
      ctx.addIssue({ code: 'custom', path: ['teacher', 'perCluster'], input: true, message: 'needs data.kind "population" (clusters to draw teachers for)' });
    }
    config.sizes.forEach((n, i) => {
      if (i > 0 && n <= config.sizes[i - 1]!) {
        ctx.addIssue({ code: 'custom', path: ['sizes', i], input: n, message: `must be greater than the previous size ${config.sizes[i - 1]} (sizes strictly increase)` });
      }
    });
    const k = resolvedK(config);
    if (config.model.kind === 'knn' && k > config.sizes[0]!) {
      const what = config.model.k === undefined ? ` (the local-linear default 2(m + 1) = ${k} with m = ${tangentDimensionOf(config)}; set model.k or raise the sizes)` : '';
      ctx.addIssue({ code: 'custom', path: ['model', 'k'], input: k, message: `must be at most the smallest training size ${config.sizes[0]}${what}` });
    }
    if (config.model.kind === 'knn' && config.model.local === 'linear') {
      const m = tangentDimensionOf(config);
      const source = config.model.tangentDimension !== undefined ? 'model.tangentDimension' : config.data.kind === 'manifold' ? 'data.manifoldDimension' : 'data.dimension: a fractal\'s neighbourhoods span every direction; set model.tangentDimension to fit fewer';
      if (k <= m + 1) {
        ctx.addIssue({ code: 'custom', path: ['model', 'k'], input: k, message: `must exceed m + 1 = ${m + 1} for a local-linear fit in tangent dimension m = ${m} (${source}): the affine model has m + 1 coefficients and needs a residual degree of freedom` });
      }
      if (config.model.tangentDimension !== undefined && config.model.tangentDimension > config.data.dimension) {
        ctx.addIssue({ code: 'custom', path: ['model', 'tangentDimension'], input: config.model.tangentDimension, message: `must be at most data.dimension (${config.data.dimension})` });
      }
    } else if (config.model.local === 'linear') {
      ctx.addIssue({ code: 'custom', path: ['model', 'local'], input: config.model.local, message: 'needs model.kind "knn"' });
    } else if (config.model.tangentDimension !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['model', 'tangentDimension'], input: config.model.tangentDimension, message: 'needs model.local "linear"' });
    }
    for (const issue of fileIssues(config)) ctx.addIssue({ code: 'custom', ...issue });
    const needed = config.sizes[config.sizes.length - 1]! + config.testSize;
    const { kind, embedder, manifold, manifoldDimension, dimension } = config.data;
    const native = manifold === 'cube' ? manifoldDimension : manifold === 'sphere' ? manifoldDimension + 1 : 2 * manifoldDimension;
    if (kind === 'manifold' && dimension < native) {
      ctx.addIssue({ code: 'custom', path: ['data', 'dimension'], input: dimension, message: `must be at least ${native} to hold a ${manifold} of dimension ${manifoldDimension}` });
    }
    if (config.data.sampler !== 'exact' && (kind === 'population' || (kind === 'cluster' && embedder === 'branching'))) {
      const what = kind === 'population' ? 'a population' : 'the branching embedder';
      ctx.addIssue({ code: 'custom', path: ['data', 'sampler'], input: config.data.sampler, message: `applies to the naive embedder only: ${what} draws exact clusters` });
    }
    if (config.data.minClusterSize > config.data.maxClusterSize) {
      ctx.addIssue({ code: 'custom', path: ['data', 'minClusterSize'], input: config.data.minClusterSize, message: `must be at most maxClusterSize (${config.data.maxClusterSize})` });
    }
    const { branches, levels, branchSize, baseSize } = config.data;
    if (kind === 'cluster' && embedder === 'branching' && branchSize !== undefined) {
      if (branches ** levels * branchSize < needed) {
        ctx.addIssue({ code: 'custom', path: ['data', 'branchSize'], input: branchSize, message: `gives ${branches ** levels * branchSize} points (branches^levels x branchSize), fewer than the largest size plus testSize (${needed})` });
      }
      if (baseSize !== undefined && branchSize > (branches > 1 ? baseSize - 1 : baseSize)) {
        ctx.addIssue({ code: 'custom', path: ['data', 'branchSize'], input: branchSize, message: `must be below baseSize (${baseSize}): a piece keeps a subsample of its cluster` });
      }
    }
    if (config.data.clusterSize !== undefined && config.data.clusterSize < needed) {
      ctx.addIssue({ code: 'custom', path: ['data', 'clusterSize'], input: config.data.clusterSize, message: `must be at least the largest size plus testSize (${needed})` });
    }
    if (config.scaling === 'model') {
      if (config.model.kind !== 'mlp') ctx.addIssue({ code: 'custom', path: ['scaling'], input: config.scaling, message: 'needs model.kind "mlp" (students of growing width)' });
      config.model.widthGrid.forEach((w, i) => {
        if (i > 0 && w <= config.model.widthGrid[i - 1]!) {
          ctx.addIssue({ code: 'custom', path: ['model', 'widthGrid', i], input: w, message: `must be greater than the previous width ${config.model.widthGrid[i - 1]} (widths strictly increase)` });
        }
      });
    }
    // The fit runs over sizes N, or over parameter counts P for model scaling.
    const xs = config.scaling === 'model' ? config.model.widthGrid.map((w) => parameterCount(config.data.dimension, config.model.widths.length, w)) : config.sizes;
    if (config.fit.window) {
      const [lo, hi] = config.fit.window;
      const inside = xs.filter((n) => n >= lo && n <= hi).length;
      if (lo > hi || inside < 2) {
        const what = config.scaling === 'model' ? 'parameter counts of model.widthGrid' : 'sizes';
        ctx.addIssue({ code: 'custom', path: ['fit', 'window'], input: config.fit.window, message: `must be [min, max] with min <= max containing at least two ${what}` });
      }
    }
  });

/**
 * The rules of file data (`data.kind = "file"`): a path; the file keys only with a file; a teacher only where
 * it labels (data.labels "teacher", or "auto" on a file without labels); a D for the theory.
 */
function fileIssues(config: {
  data: { kind: string; path: string | null; labels: string; intrinsicDimension: number | null };
  teacher: Record<string, unknown>;
  measure: { points: number };
}): { path: string[]; input: unknown; message: string }[] {
  const { kind, path, labels, intrinsicDimension } = config.data;
  if (kind !== 'file') {
    const stray = path !== null ? ['path', path] : labels !== 'auto' ? ['labels', labels] : intrinsicDimension !== null ? ['intrinsicDimension', intrinsicDimension] : undefined;
    return stray ? [{ path: ['data', String(stray[0])], input: stray[1], message: 'applies to data.kind "file" only' }] : [];
  }
  const issues: { path: string[]; input: unknown; message: string }[] = [];
  if (path === null) issues.push({ path: ['data', 'path'], input: undefined, message: 'data.kind "file" needs the file: a .npy, .arrow or .parquet file as `percolab generate` writes them' });
  if (labels !== 'teacher') {
    // Compared with the defaults, not with what the input names, so a run's own config.json (every key
    // written out) runs again. "auto" on a file without labels uses the default teacher.
    const defaults = TeacherSchema.parse({}) as Record<string, unknown>;
    // device and repetitions (the score) change no label, so they may be set either way.
    const changed = Object.entries(config.teacher).find(([key, value]) => key !== 'device' && key !== 'repetitions' && JSON.stringify(value) !== JSON.stringify(defaults[key]));
    if (changed) {
      issues.push({ path: ['teacher', changed[0]], input: changed[1], message: `is not used: data.labels "${labels}" takes the file's labels; set data.labels "teacher" to label the points with this teacher` });
    }
  }
  if (intrinsicDimension === null && config.measure.points === 0) {
    issues.push({ path: ['measure', 'points'], input: 0, message: 'file data needs a D for the theory c/D: set data.intrinsicDimension, or measure.points > 0 to measure it' });
  }
  return issues;
}

/** Parameters of a student d -> `layers` hidden layers of `width` -> 1. */
export function parameterCount(d: number, layers: number, width: number): number {
  return d * width + width + (layers - 1) * (width * width + width) + width + 1;
}

/** A config as written by a user: every field optional. */
export type ConfigInput = z.input<typeof ConfigSchema>;
type Parsed = z.output<typeof ConfigSchema>;

/** A validated config with every default filled in, including the derived ones. */
export type Config = Omit<Parsed, 'percolab'> & {
  train: Parsed['train'] & { evalEvery: number };
  data: Parsed['data'] & { coordination: number; clusterSize: number; branchSize: number; baseSize: number };
  model: Parsed['model'] & { k: number };
  fit: { window: [number, number] };
};
