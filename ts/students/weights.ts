// Trained weights as PyTorch's nn.Linear tensors: `<l>.weight.npy` (float32 [out, in]) and
// `<l>.bias.npy` (float32 [out]) per layer, the files `percolab estimate --weights` reads.
import { encodeNpy } from '../io/npy.js';

/** The files of one network, named `${prefix}${layer}.weight.npy` / `.bias.npy`. */
export function weightFiles(sizes: readonly number[], parameters: Float32Array, prefix = ''): Record<string, Uint8Array> {
  const files: Record<string, Uint8Array> = {};
  let at = 0;
  for (let l = 0; l + 1 < sizes.length; l++) {
    const [inputs, outputs] = [sizes[l]!, sizes[l + 1]!];
    files[`${prefix}${l}.weight.npy`] = encodeNpy({ dtype: 'float32', shape: [outputs, inputs], data: parameters.slice(at, at + inputs * outputs) });
    at += inputs * outputs;
    files[`${prefix}${l}.bias.npy`] = encodeNpy({ dtype: 'float32', shape: [outputs], data: parameters.slice(at, at + outputs) });
    at += outputs;
  }
  if (at !== parameters.length) throw new Error(`layer sizes ${sizes.join(', ')} need ${at} parameters, got ${parameters.length}`);
  return files;
}
