// The large arrays of a Result leave the worker as transferred buffers, not copies.

/**
 * Every distinct ArrayBuffer under `value` (typed arrays in any field, nested arrays and objects).
 * Views that share one buffer (subarrays) yield it once: transferring a buffer twice is an error.
 */
export function collectTransferables(value: unknown): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  const seen = new Set<object>();
  const visit = (x: unknown): void => {
    if (typeof x !== 'object' || x === null || seen.has(x)) return;
    seen.add(x);
    if (ArrayBuffer.isView(x)) {
      if (x.buffer instanceof ArrayBuffer) buffers.add(x.buffer);
      return;
    }
    for (const child of Array.isArray(x) ? x : Object.values(x)) visit(child);
  };
  visit(value);
  return [...buffers];
}
