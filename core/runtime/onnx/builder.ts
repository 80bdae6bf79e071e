// A small builder for ONNX graphs, so the engine can hand trained modules to onnxruntime
// for fast inference. Values are named strings; every helper returns the name of its output.

import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** ONNX opset the exported graphs use; onnxruntime 1.x supports it fully. */
export const OPSET = 17;

export type Dims = readonly (number | string)[];
type AttrValue = number | number[] | string;

export class OnnxGraph {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly inits: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly constants = new Map<string, string>();
  private counter = 0;

  /** A fresh value name with a readable prefix. */
  name(prefix: string): string {
    return `${prefix}#${this.counter++}`;
  }

  input(name: string, dims: Dims): string {
    this.inputs.push(valueInfo(name, dims));
    return name;
  }

  output(name: string, dims: Dims): void {
    this.outputs.push(valueInfo(name, dims));
  }

  /** A float32 initializer (weights). */
  floats(name: string, dims: readonly number[], data: Float32Array): string {
    this.inits.push({ name, dims: [...dims], dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
    return name;
  }

  /** An int64 constant (shapes, indices), shared when the same values recur. */
  ints(values: readonly number[]): string {
    const key = `i64:${values.join(',')}`;
    const known = this.constants.get(key);
    if (known) return known;
    const name = this.name('const');
    const data = BigInt64Array.from(values.map(BigInt));
    this.inits.push({ name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, rawData: new Uint8Array(data.buffer) });
    this.constants.set(key, name);
    return name;
  }

  /** A float scalar constant. */
  scalar(value: number): string {
    const key = `f32:${value}`;
    const known = this.constants.get(key);
    if (known) return known;
    const name = this.floats(this.name('const'), [], Float32Array.of(value));
    this.constants.set(key, name);
    return name;
  }

  /** Adds one operator; returns its (first) output. */
  op(type: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, outputName?: string): string {
    const out = outputName ?? this.name(type);
    this.nodes.push({ opType: type, input: [...inputs], output: [out], name: out, attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) });
    return out;
  }

  /** The serialised model. */
  encode(graphName: string): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'modulargan-studio',
      opsetImport: [{ domain: '', version: OPSET }],
      graph: { name: graphName, node: this.nodes, initializer: this.inits, input: this.inputs, output: this.outputs },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function valueInfo(name: string, dims: Dims): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, v: AttrValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  return Number.isInteger(v) ? { name, type: T.INT, i: v } : { name, type: T.FLOAT, f: v };
}
