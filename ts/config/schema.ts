// The one schema of an experiment config: validation, the TypeScript types and the README's config
// reference all come from here.
import { z } from 'zod';

const int = () => z.number().int();

export const DataSchema = z
  .strictObject({
    kind: z
      .enum(['cluster', 'population', 'manifold'])
      .default('cluster')
      .describe('"cluster": a critical percolation cluster per seed; "population": many clusters with sizes n_s ~ s^-sizeExponent, each a context with its id; "manifold": a control of known dimension.'),
    dimension: int().min(1).max(4096).default(16).describe('Ambient dimension d of the embedding.'),
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

export const ModelSchema = z
  .strictObject({
    kind: z
      .enum(['knn', 'mlp'])
      .default('knn')
      .describe('"knn": exact k-nearest-neighbour regression (theory c = 2); "mlp": a neural-network student trained at every size (theory c = 4; see the train section).'),
    k: int().min(1).max(2 ** 31).default(1).describe('k-NN: neighbours averaged per prediction (at most the smallest training size).'),
    weights: z
      .enum(['uniform', 'distance'])
      .default('uniform')
      .describe('k-NN: "uniform": the plain mean of the k targets; "distance": weights 1/distance (exact matches take all the weight, as in scikit-learn).'),
    widths: z
      .array(int().min(1).max(65_536))
      .min(1)
      .max(64)
      .default([128, 128])
      .describe('Student: hidden-layer widths, input to output (the network is d -> widths -> 1, PyTorch nn.Linear layers).'),
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
    data: DataSchema.prefault({}),
    teacher: TeacherSchema.prefault({}),
    model: ModelSchema.prefault({}),
    train: TrainSchema.prefault({}),
    fit: FitSchema.prefault({}),
    measure: MeasureSchema.prefault({}),
    percolab: z
      .strictObject({ version: z.string(), seeds: z.array(int()) })
      .optional()
      .describe('Written into a run\'s config.json for the record (library version, seeds used); ignored on input.'),
  })
  .superRefine((config, ctx) => {
    if (config.teacher.perCluster && config.data.kind !== 'population') {
      ctx.addIssue({ code: 'custom', path: ['teacher', 'perCluster'], input: true, message: 'needs data.kind "population" (clusters to draw teachers for)' });
    }
    config.sizes.forEach((n, i) => {
      if (i > 0 && n <= config.sizes[i - 1]!) {
        ctx.addIssue({ code: 'custom', path: ['sizes', i], input: n, message: `must be greater than the previous size ${config.sizes[i - 1]} (sizes strictly increase)` });
      }
    });
    if (config.model.kind === 'knn' && config.model.k > config.sizes[0]!) {
      ctx.addIssue({ code: 'custom', path: ['model', 'k'], input: config.model.k, message: `must be at most the smallest training size ${config.sizes[0]}` });
    }
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
    if (config.fit.window) {
      const [lo, hi] = config.fit.window;
      const inside = config.sizes.filter((n) => n >= lo && n <= hi).length;
      if (lo > hi || inside < 2) {
        ctx.addIssue({ code: 'custom', path: ['fit', 'window'], input: config.fit.window, message: 'must be [nMin, nMax] with nMin <= nMax containing at least two sizes' });
      }
    }
  });

/** A config as written by a user: every field optional. */
export type ConfigInput = z.input<typeof ConfigSchema>;
type Parsed = z.output<typeof ConfigSchema>;

/** A validated config with every default filled in, including the derived ones. */
export type Config = Omit<Parsed, 'percolab'> & {
  train: Parsed['train'] & { evalEvery: number };
  data: Parsed['data'] & { coordination: number; clusterSize: number; branchSize: number; baseSize: number };
  fit: { window: [number, number] };
};
