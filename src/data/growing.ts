// Typed arrays that grow as a reader pushes numbers into them: flat storage without an object per value or row.
type Typed = Float64Array | Int32Array | Uint8Array;

/** A copy of `a` with room for `length` elements (the first ones kept). */
export function grown<A extends Typed>(a: A, length: number): A {
  const out = new (a.constructor as new (n: number) => A)(length);
  out.set(a.length <= length ? a : a.subarray(0, length));
  return out;
}

/** Values pushed one at a time; the array doubles when full. */
export class Growing<A extends Typed> {
  length = 0;
  constructor(public data: A) {}
  push(v: number): void {
    if (this.length === this.data.length) this.data = grown(this.data, Math.max(16, 2 * this.length));
    this.data[this.length++] = v;
  }
  /** The values pushed, in an array of their own. */
  done(): A {
    return this.data.slice(0, this.length) as A;
  }
}
