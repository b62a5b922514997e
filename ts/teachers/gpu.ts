// Teachers on a WebGPU device: batches of points stream through fixed-size buffers, so any number of
// points fits in bounded GPU memory. The parameters are the CPU twin's own f32 numbers.
/// <reference types="@webgpu/types" preserve="true" />  // the WebGPU types in this module's public signatures reach the emitted .d.ts
import { mlpLayerShader, teacherShader, WORKGROUP, type TeacherShape } from './wgsl.js';

/** A teacher as the GPU needs it: its shape, its parameters (all slots) and its output scale. */
export interface GpuTeacher {
  shape: TeacherShape;
  parameters: Float32Array;
  scale: number;
}

/** Points per batch at most; the storage-buffer limit may lower it (wide layers). */
const MAX_BATCH = 1 << 16;

/** One compute pass over a batch: its kernel, its buffers and how many invocations it needs. */
interface Pass {
  pipeline: GPUComputePipeline;
  input: GPUBuffer;
  output: GPUBuffer;
  uniforms: GPUBuffer;
  /** Invocations per point. */
  width: number;
}

export class GpuEvaluator {
  private readonly pipelines = new Map<string, GPUComputePipeline>();

  constructor(readonly device: GPUDevice, readonly description: string) {}

  private async pipeline(code: string, what: string): Promise<GPUComputePipeline> {
    let pipeline = this.pipelines.get(code);
    if (!pipeline) {
      this.device.pushErrorScope('validation');
      const module = this.device.createShaderModule({ code });
      pipeline = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
      const error = await this.device.popErrorScope();
      if (error) throw new Error(`WebGPU rejected the ${what} kernel: ${error.message.split('\n')[0]}`);
      this.pipelines.set(code, pipeline);
    }
    return pipeline;
  }

  /** Labels of row-major points; `slots` gives each point's teacher for per-cluster models. */
  async label(teacher: GpuTeacher, points: Float32Array, slots?: Uint32Array): Promise<Float32Array> {
    const { device } = this;
    const { shape } = teacher;
    const d = shape.dimension;
    const rows = points.length / d;
    const out = new Float32Array(rows);
    if (rows === 0) return out;
    const layers = shape.layout.kind === 'relu' ? shape.layout.layers : undefined;
    const hidden = layers ? Math.max(...layers.map((l) => l.fanOut)) : 0;
    const widest = Math.max(d, hidden);
    const batch = Math.max(1, Math.min(MAX_BATCH, rows, Math.floor(device.limits.maxStorageBufferBindingSize / (4 * widest))));
    const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
    const created: GPUBuffer[] = [];
    const buffer = (size: number, usage: number) => {
      const b = device.createBuffer({ size: Math.max(16, size), usage });
      created.push(b);
      return b;
    };
    try {
      const pointsBuffer = buffer(batch * d * 4, storage);
      const params = buffer(teacher.parameters.byteLength, storage);
      const labels = buffer(batch * 4, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC);
      const read = buffer(batch * 4, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
      const slotBuffer = slots ? buffer(batch * 4, storage) : undefined;
      device.queue.writeBuffer(params, 0, teacher.parameters as Float32Array<ArrayBuffer>);
      // The passes of one batch, and how to fill their uniforms for a batch of n rows.
      const passes: Pass[] = [];
      const fill: ((n: number) => ArrayBuffer)[] = [];
      if (layers) {
        const pipeline = await this.pipeline(mlpLayerShader(!!slots), 'ReLU layer');
        const acts = [buffer(batch * hidden * 4, GPUBufferUsage.STORAGE), buffer(batch * hidden * 4, GPUBufferUsage.STORAGE)];
        layers.forEach(({ fanIn, fanOut, weights, biases }, l) => {
          const last = l + 1 === layers.length;
          passes.push({ pipeline, input: l === 0 ? pointsBuffer : acts[(l - 1) % 2]!, output: last ? labels : acts[l % 2]!, uniforms: buffer(32, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST), width: fanOut });
          fill.push((n) => {
            const u = new ArrayBuffer(32);
            new Uint32Array(u, 0, 6).set([n, fanIn, fanOut, weights, shape.layout.stride, last ? 0 : 1]);
            new Float32Array(u, 24, 1)[0] = last ? teacher.scale : 1;
            new Uint32Array(u, 28, 1)[0] = biases;
            return u;
          });
        });
      } else {
        const pipeline = await this.pipeline(teacherShader(shape), `${shape.kind} teacher`);
        passes.push({ pipeline, input: pointsBuffer, output: labels, uniforms: buffer(16, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST), width: 1 });
        fill.push((n) => {
          const u = new ArrayBuffer(16);
          new Uint32Array(u, 0, 1)[0] = n;
          new Float32Array(u, 4, 1)[0] = teacher.scale;
          return u;
        });
      }
      const bindGroups = passes.map((pass) => {
        const entries: GPUBindGroupEntry[] = [
          { binding: 0, resource: { buffer: pass.input } },
          { binding: 1, resource: { buffer: params } },
          { binding: 2, resource: { buffer: pass.output } },
          { binding: 3, resource: { buffer: pass.uniforms } },
        ];
        if (slotBuffer) entries.push({ binding: 4, resource: { buffer: slotBuffer } });
        return device.createBindGroup({ layout: pass.pipeline.getBindGroupLayout(0), entries });
      });
      const maxGroups = device.limits.maxComputeWorkgroupsPerDimension;
      for (let from = 0; from < rows; from += batch) {
        const n = Math.min(batch, rows - from);
        device.queue.writeBuffer(pointsBuffer, 0, points as Float32Array<ArrayBuffer>, from * d, n * d);
        if (slotBuffer && slots) device.queue.writeBuffer(slotBuffer, 0, slots as Uint32Array<ArrayBuffer>, from, n);
        passes.forEach((pass, i) => device.queue.writeBuffer(pass.uniforms, 0, fill[i]!(n)));
        const encoder = device.createCommandEncoder();
        passes.forEach((pass, i) => {
          const c = encoder.beginComputePass();
          c.setPipeline(pass.pipeline);
          c.setBindGroup(0, bindGroups[i]!);
          const groups = Math.ceil((n * pass.width) / WORKGROUP);
          const x = Math.min(groups, maxGroups);
          c.dispatchWorkgroups(x, Math.ceil(groups / x));
          c.end();
        });
        encoder.copyBufferToBuffer(labels, 0, read, 0, n * 4);
        device.queue.submit([encoder.finish()]);
        await read.mapAsync(GPUMapMode.READ, 0, n * 4);
        out.set(new Float32Array(read.getMappedRange(0, n * 4)), from);
        read.unmap();
      }
    } finally {
      for (const b of created) b.destroy();
    }
    return out;
  }
}
