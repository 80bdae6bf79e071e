// What an inference engine (tfjs on any backend, or onnxruntime) is given and gives back.
// Arrays are NHWC float32, as the rest of the engine holds images.

export interface HostTensor {
  readonly data: Float32Array;
  /** [N, H, W, C] for images and masks, [N, length] for vectors */
  readonly shape: readonly number[];
}

export interface InferenceEngine {
  /** e.g. "onnxruntime (cpu, 2 threads)" or "tfjs wasm" */
  readonly name: string;
  /** Runs one batch: values of source nodes in, values of requested outputs out. */
  run(sources: ReadonlyMap<string, HostTensor>): Promise<Map<string, HostTensor>>;
  dispose(): Promise<void> | void;
}

/** A value the caller wants back: a sink node's input, or any module output (e.g. a mask). */
export interface OutputRequest {
  /** Key in the result map */
  readonly key: string;
  readonly node: string;
  readonly port: string;
}
