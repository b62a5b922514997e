// Teachers on a WebGPU device: batches of points stream through fixed-size buffers, so any number of
// points fits in bounded GPU memory. The parameters are the CPU twin's own f32 numbers.
import { teacherShader, WORKGROUP, type TeacherShape } from './wgsl.js';

/** A teacher as the GPU needs it: its shape, its parameters (all slots) and its output scale. */
export interface GpuTeacher {
  shape: TeacherShape;
  parameters: Float32Array;
  scale: number;
}

/** Points per dispatch at most; with the storage-buffer limit this bounds GPU memory. */
const MAX_BATCH = 1 << 18;

export class GpuEvaluator {
  private readonly pipelines = new Map<string, GPUComputePipeline>();

  constructor(readonly device: GPUDevice, readonly description: string) {}

  private async pipeline(shape: TeacherShape): Promise<GPUComputePipeline> {
    const code = teacherShader(shape);
    let pipeline = this.pipelines.get(code);
    if (!pipeline) {
      this.device.pushErrorScope('validation');
      const module = this.device.createShaderModule({ code });
      pipeline = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
      const error = await this.device.popErrorScope();
      if (error) throw new Error(`WebGPU rejected the ${shape.kind} teacher kernel: ${error.message.split('\n')[0]}`);
      this.pipelines.set(code, pipeline);
    }
    return pipeline;
  }

  /** Labels of row-major points; `slots` gives each point's teacher for per-cluster models. */
  async label(teacher: GpuTeacher, points: Float32Array, slots?: Uint32Array): Promise<Float32Array> {
    const { device } = this;
    const d = teacher.shape.dimension;
    const rows = points.length / d;
    const out = new Float32Array(rows);
    if (rows === 0) return out;
    const limit = Math.floor(device.limits.maxStorageBufferBindingSize / (4 * d));
    const batch = Math.max(1, Math.min(MAX_BATCH, limit, rows));
    const pipeline = await this.pipeline(teacher.shape);
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
    const paramBytes = Math.max(16, teacher.parameters.byteLength);
    const buffers = {
      points: device.createBuffer({ size: batch * d * 4, usage }),
      params: device.createBuffer({ size: paramBytes, usage }),
      labels: device.createBuffer({ size: batch * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC }),
      uniforms: device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST }),
      read: device.createBuffer({ size: batch * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }),
      slots: slots ? device.createBuffer({ size: batch * 4, usage }) : undefined,
    };
    try {
      device.queue.writeBuffer(buffers.params, 0, teacher.parameters as Float32Array<ArrayBuffer>);
      const entries: GPUBindGroupEntry[] = [
        { binding: 0, resource: { buffer: buffers.points } },
        { binding: 1, resource: { buffer: buffers.params } },
        { binding: 2, resource: { buffer: buffers.labels } },
        { binding: 3, resource: { buffer: buffers.uniforms } },
      ];
      if (buffers.slots) entries.push({ binding: 4, resource: { buffer: buffers.slots } });
      const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
      const uniforms = new ArrayBuffer(16);
      for (let from = 0; from < rows; from += batch) {
        const n = Math.min(batch, rows - from);
        device.queue.writeBuffer(buffers.points, 0, points as Float32Array<ArrayBuffer>, from * d, n * d);
        if (buffers.slots && slots) device.queue.writeBuffer(buffers.slots, 0, slots as Uint32Array<ArrayBuffer>, from, n);
        new Uint32Array(uniforms, 0, 1)[0] = n;
        new Float32Array(uniforms, 4, 1)[0] = teacher.scale;
        device.queue.writeBuffer(buffers.uniforms, 0, uniforms);
        const encoder = device.createCommandEncoder();
        const pass = encoder.beginComputePass();
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, bindGroup);
        pass.dispatchWorkgroups(Math.ceil(n / WORKGROUP));
        pass.end();
        encoder.copyBufferToBuffer(buffers.labels, 0, buffers.read, 0, n * 4);
        device.queue.submit([encoder.finish()]);
        await buffers.read.mapAsync(GPUMapMode.READ, 0, n * 4);
        out.set(new Float32Array(buffers.read.getMappedRange(0, n * 4)), from);
        buffers.read.unmap();
      }
    } finally {
      for (const b of Object.values(buffers)) b?.destroy();
    }
    return out;
  }
}
