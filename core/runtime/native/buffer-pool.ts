// Output buffers for the native kernels, reused instead of allocated. A fresh large
// Float32Array costs the OS a zeroed page per 4 KB on first touch: adding two 134 MB weight
// gradients took 128 ms into a fresh array and 36 ms into a reused one (measured here). A
// training iteration makes the same shapes every time, so freed buffers of a size are soon
// asked for again.
//
// A buffer is reused only while nothing outside the backend can still see it: it must have
// been made here (not passed in by a caller, as tf.tensor(array) does), never read out
// (dataSync returns the backend's own array, not a copy) and never viewed by another tensor
// (the cpu Slice kernel returns a subarray of its input).

/** Buffers shorter than this are left to the allocator: small ones cost little. */
const MIN_LENGTH = 16 * 1024;

export class BufferPool {
  private readonly free = new Map<number, Float32Array[]>();
  /** Buffers made by take() that nothing outside the backend has seen. */
  private readonly mine = new WeakSet<ArrayBufferLike>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  constructor(readonly limitBytes: number) {}

  /** A buffer of n floats whose contents are undefined: the caller must write every element. */
  take(n: number): Float32Array {
    if (n < MIN_LENGTH) return new Float32Array(n);
    const reused = this.free.get(n)?.pop();
    if (reused) {
      this.bytes -= reused.byteLength;
      this.mine.add(reused.buffer);
      this.hits++;
      return reused;
    }
    this.misses++;
    const fresh = new Float32Array(n);
    this.mine.add(fresh.buffer);
    return fresh;
  }

  /** Something outside the backend may hold this buffer from now on: never reuse it. */
  escape(values: unknown): void {
    if (ArrayBuffer.isView(values)) this.mine.delete(values.buffer);
  }

  /** Whether this buffer would be taken back by give(). */
  owns(values: unknown): boolean {
    return values instanceof Float32Array && this.mine.has(values.buffer);
  }

  /** A freed tensor's data: kept for reuse when it is ours, whole, and the pool has room. */
  give(values: unknown): void {
    if (!(values instanceof Float32Array) || !this.mine.has(values.buffer)) return;
    if (values.byteOffset !== 0 || values.byteLength !== values.buffer.byteLength) return;
    if (this.bytes + values.byteLength > this.limitBytes) return;
    // Given back once only: a second give() of the same buffer would hand it out twice.
    this.mine.delete(values.buffer);
    const list = this.free.get(values.length) ?? [];
    list.push(values);
    this.free.set(values.length, list);
    this.bytes += values.byteLength;
  }

  /** Bytes held for reuse. */
  get heldBytes(): number {
    return this.bytes;
  }

  clear(): void {
    this.free.clear();
    this.bytes = 0;
  }
}
