// tanh and σ over runs (src/engine/activations.ts) on the WebAssembly kernels against Math.tanh and the JavaScript
// sigmoid: within 4 units in the last place on a dense grid and at the edges (tiny arguments, where tanh x ≈ x; the
// saturation points; arguments whose σ is subnormal), ±0, ±∞ and NaN exactly; runs at offsets, odd lengths.
import assert from 'node:assert/strict';
import {
  addTanhRun,
  lstmBackwardInKernel,
  lstmForwardInKernel,
  sigmoid,
  sigmoidRun,
  squashRows,
  tanhRun,
} from '../../../src/engine/activations';
import { kernels } from '../../../src/engine/wasm';

/** Distance in units in the last place between two float64s of the same sign (0 for equal values). */
function ulps(a: number, b: number): number {
  const bits = new BigInt64Array(new Float64Array([a, b]).buffer);
  const order = (v: bigint) => (v < 0n ? -(v & 0x7fffffffffffffffn) : v);
  const d = order(bits[0]) - order(bits[1]);
  return Number(d < 0n ? -d : d);
}

const grid: number[] = [];
for (let i = -20000; i <= 20000; i++) grid.push(i / 500); // −40 … 40
for (let e = -320; e <= 2; e += 0.25) grid.push(10 ** e, -(10 ** e)); // tiny to moderate, both signs
grid.push(
  0.5493,
  0.34657359028,
  21.99,
  22,
  22.01,
  700,
  -700,
  -708,
  -708.5,
  -709,
  -730,
  -740,
  -744,
  -745,
  -745.2,
  1e300,
  -1e300,
);

describe('tanh and σ on runs', () => {
  it('run on the WebAssembly kernels here (the JavaScript loop is the fallback)', () => {
    assert.ok(kernels(), 'WebAssembly SIMD is missing: the comparisons below test the fallback only');
  });

  for (const [name, run, reference] of [
    ['tanh', tanhRun, Math.tanh],
    ['σ', sigmoidRun, sigmoid],
  ] as const) {
    it(`${name} within 4 units in the last place of the JavaScript value, at an offset and an odd length`, () => {
      const a = Float64Array.from([7, ...grid, 7]);
      run(a, 1, grid.length);
      assert.equal(a[0], 7);
      assert.equal(a[a.length - 1], 7);
      for (let i = 0; i < grid.length; i++) {
        const want = reference(grid[i]);
        const got = a[i + 1];
        // Subnormal results (σ of x below −708) have fewer bits: there the bound is on the absolute error.
        const ok = Math.abs(want) < 2.3e-308 ? Math.abs(got - want) <= 4 * 5e-324 : ulps(got, want) <= 4;
        assert.ok(ok, `${name}(${grid[i]}) = ${got}, JavaScript ${want} (${ulps(got, want)} ulps)`);
      }
    });

    it(`${name} of ±0, ±∞ and NaN is exact`, () => {
      const specials = [0, -0, Infinity, -Infinity, NaN, 0, 0, 0, 0];
      const a = Float64Array.from(specials);
      run(a, 0, a.length);
      for (let i = 0; i < 5; i++)
        assert.ok(
          Object.is(a[i], reference(specials[i])),
          `${name}(${specials[i]}) = ${a[i]}, JavaScript ${reference(specials[i])}`,
        );
    });
  }
  it('squashRows: each run of each row as tanhRun/sigmoidRun give it, the values between runs untouched', () => {
    // 5 rows of 27 (runs of odd lengths at odd offsets, shorter and longer than the kernels' minimum run), with a gap
    const rows = 5,
      stride = 27,
      off = 3;
    const src = Float64Array.from({ length: off + rows * stride + 2 }, (_, i) => Math.sin(i * 1.7) * 6);
    const got = src.slice();
    squashRows(got, off, rows, stride, [0, 9, 'sigmoid', 9, 3, 'tanh', 13, 13, 'sigmoid']);
    const want = src.slice();
    for (let r = 0; r < rows; r++) {
      const b = off + r * stride;
      sigmoidRun(want, b, 9);
      tanhRun(want, b + 9, 3);
      sigmoidRun(want, b + 13, 13);
    }
    assert.deepEqual(Array.from(got), Array.from(want));
    assert.equal(got[off + 12], src[off + 12]); // the gap
    assert.equal(got[0], src[0]);
    // one run, and four runs (more than the kernel's three: one call per run and row)
    for (const runs of [
      [2, 20, 'tanh'],
      [0, 9, 'sigmoid', 9, 3, 'tanh', 13, 8, 'sigmoid', 21, 6, 'tanh'],
    ] as const) {
      const got2 = src.slice(),
        want2 = src.slice();
      squashRows(got2, off, rows, stride, runs);
      for (let r = 0; r < rows; r++)
        for (let q = 0; q < runs.length; q += 3) {
          const run = runs[q + 2] === 'tanh' ? tanhRun : sigmoidRun;
          run(want2, off + r * stride + (runs[q] as number), runs[q + 1] as number);
        }
      assert.deepEqual(Array.from(got2), Array.from(want2), `${runs.length / 3} runs`);
    }
  });

  it('addTanhRun: tanh of the sums, as an add loop then tanhRun give them, bit for bit, at offsets and odd lengths', () => {
    for (const n of [1, 7, 8, 9, 31, 600]) {
      const a = Float64Array.from({ length: n + 3 }, (_, i) => Math.sin(i * 1.3) * 5);
      const b = Float64Array.from({ length: n + 5 }, (_, i) =>
        i % 11 === 0 ? [NaN, Infinity, -0][i % 3] : Math.cos(i * 0.7) * 3,
      );
      const want = new Float64Array(n + 4).fill(7);
      for (let i = 0; i < n; i++) want[2 + i] = a[3 + i] + b[5 + i];
      tanhRun(want, 2, n);
      const got = new Float64Array(n + 4).fill(7);
      addTanhRun(got, 2, a, 3, b, 5, n);
      for (let i = 0; i < n + 4; i++) assert.ok(Object.is(got[i], want[i]), `n=${n} at ${i}: ${got[i]} vs ${want[i]}`);
    }
  });

  it('the fused LSTM step kernels give the values of the separate passes bit for bit (odd H, rows at offsets)', () => {
    const B = 3,
      H = 9,
      G = 4 * H;
    let seed = 7;
    const rnd = () => {
      seed = (seed * 16807) % 2147483647;
      return (seed / 2147483647 - 0.5) * 6;
    };
    const fill = (n: number) => Float64Array.from({ length: n }, rnd);
    // forward: step t = 1 of a tape whose arrays start one step in
    const pre = fill(2 * B * G),
      hh = fill(B * G),
      cs = fill(3 * B * H);
    const a0 = B * G,
      s0 = B * H;
    const acts = new Float64Array(2 * B * G),
      tanhC = new Float64Array(2 * B * H),
      h = new Float64Array(3 * B * H);
    const cs2 = cs.slice();
    assert.ok(lstmForwardInKernel(B, H, pre, hh, acts, a0, cs2, s0, s0 + B * H, tanhC, s0, h, 2 * B * H, false));
    const ref = new Float64Array(B * G);
    for (let j = 0; j < B * G; j++) ref[j] = pre[a0 + j] + hh[j];
    squashRows(ref, 0, B, G, [0, 2 * H, 'sigmoid', 2 * H, H, 'tanh', 3 * H, H, 'sigmoid']);
    const c = new Float64Array(B * H);
    for (let b = 0; b < B; b++)
      for (let i = 0; i < H; i++)
        c[b * H + i] = ref[b * G + H + i] * cs[s0 + b * H + i] + ref[b * G + i] * ref[b * G + 2 * H + i];
    const tc = c.slice();
    squashRows(tc, 0, B, H, [0, H, 'tanh']);
    assert.deepEqual(acts.subarray(a0), ref);
    assert.deepEqual(cs2.subarray(s0 + B * H, s0 + 2 * B * H), c);
    assert.deepEqual(tanhC.subarray(s0), tc);
    for (let b = 0; b < B; b++)
      for (let i = 0; i < H; i++)
        assert.equal(h[2 * B * H + b * H + i], ref[b * G + 3 * H + i] * tc[b * H + i], `h at ${b}, ${i}`);
    // backward from those gates
    const dm = fill(B * H),
      dc = fill(B * H);
    const dIh = new Float64Array(B * G),
      dcPrev = new Float64Array(B * H);
    assert.ok(lstmBackwardInKernel(B, H, acts, a0, cs2, tanhC, s0, dm, dc, dIh, dcPrev, false));
    for (let b = 0; b < B; b++)
      for (let i = 0; i < H; i++) {
        const g = (q: number) => acts[a0 + b * G + q * H + i];
        const [ig, fg, gg, og] = [g(0), g(1), g(2), g(3)];
        const t = tanhC[s0 + b * H + i],
          m = dm[b * H + i];
        const dct = dc[b * H + i] + m * og * (1 - t * t);
        const at = b * G + i;
        assert.equal(dIh[at], dct * gg * ig * (1 - ig));
        assert.equal(dIh[at + H], dct * cs2[s0 + b * H + i] * fg * (1 - fg));
        assert.equal(dIh[at + 2 * H], dct * ig * (1 - gg * gg));
        assert.equal(dIh[at + 3 * H], m * t * og * (1 - og));
        assert.equal(dcPrev[b * H + i], dct * fg);
      }
  });

  it('σ and tanh in float32 lanes are within 2 float32 ulps of the exact values (±0, ±∞, NaN exact)', () => {
    const k = kernels()!;
    const xs = grid
      .filter((x) => Math.abs(x) < 3e38)
      .concat([0, -0, Infinity, -Infinity, NaN, 87, -87.5, -103, -104, -110]);
    const n = xs.length;
    for (const [which, exact] of [
      [0, sigmoid],
      [1, Math.tanh],
    ] as [number, (x: number) => number][]) {
      const at = k.activationScratch(n);
      new Float64Array(k.memory.buffer, at, n).set(xs);
      k.squash32InPlace(at, n, which);
      const got = new Float64Array(k.memory.buffer, at, n);
      for (let i = 0; i < n; i++) {
        const want = Math.fround(exact(Math.fround(xs[i])));
        const what = `${which ? 'tanh' : 'σ'}(${xs[i]}) = ${got[i]}, want ${want}`;
        assert.equal(Math.fround(got[i]), got[i], `${what}: not a float32`);
        if (Number.isNaN(want) || want === 0 || !Number.isFinite(xs[i])) assert.ok(Object.is(got[i], want), what);
        else assert.ok(f32ulps(got[i], want) <= 2, `${what} (${f32ulps(got[i], want)} ulps)`);
      }
    }
  });

  it('the LSTM step kernels in float32 give float32 arithmetic on float32-rounded operands (within a few ulps)', () => {
    const B = 2,
      H = 11, // a tail after the groups of four
      G = 4 * H;
    let seed = 3;
    const rnd = () => {
      seed = (seed * 16807) % 2147483647;
      return (seed / 2147483647 - 0.5) * 6;
    };
    const fill = (n: number) => Float64Array.from({ length: n }, rnd);
    const f = Math.fround;
    const pre = fill(B * G),
      hh = fill(B * G),
      cs = fill(2 * B * H);
    const acts = new Float64Array(B * G),
      tanhC = new Float64Array(B * H),
      h = new Float64Array(B * H);
    const cs2 = cs.slice();
    assert.ok(lstmForwardInKernel(B, H, pre, hh, acts, 0, cs2, 0, B * H, tanhC, 0, h, 0, true));
    const near = (got: number, want: number, what: string) =>
      assert.ok(Math.abs(got - want) <= 4e-7 * Math.max(1, Math.abs(want)), `${what}: ${got} vs ${want}`);
    for (let b = 0; b < B; b++)
      for (let i = 0; i < H; i++) {
        const z = (q: number) => f(pre[b * G + q * H + i] + hh[b * G + q * H + i]);
        const [ig, fg, gg, og] = [f(sigmoid(z(0))), f(sigmoid(z(1))), f(Math.tanh(z(2))), f(sigmoid(z(3)))];
        const c = f(f(fg * f(cs[b * H + i])) + f(ig * gg));
        const t = f(Math.tanh(c));
        for (const v of [acts[b * G + i], cs2[B * H + b * H + i], tanhC[b * H + i], h[b * H + i]])
          assert.equal(f(v), v, 'stored values are float32 values');
        near(acts[b * G + i], ig, `i at ${b},${i}`);
        near(acts[b * G + 2 * H + i], gg, `g at ${b},${i}`);
        near(cs2[B * H + b * H + i], c, `c at ${b},${i}`);
        near(h[b * H + i], f(og * t), `h at ${b},${i}`);
      }
    const dm = fill(B * H),
      dc = fill(B * H);
    const dIh = new Float64Array(B * G),
      dcPrev = new Float64Array(B * H);
    assert.ok(lstmBackwardInKernel(B, H, acts, 0, cs2, tanhC, 0, dm, dc, dIh, dcPrev, true));
    for (let b = 0; b < B; b++)
      for (let i = 0; i < H; i++) {
        const g = (q: number) => acts[b * G + q * H + i];
        const [ig, fg, gg, og] = [g(0), g(1), g(2), g(3)];
        const t = tanhC[b * H + i],
          m = f(dm[b * H + i]);
        const dct = f(f(dc[b * H + i]) + f(f(m * og) * f(1 - f(t * t))));
        assert.equal(dIh[b * G + i], f(f(f(dct * gg) * ig) * f(1 - ig)), `di at ${b},${i}`);
        assert.equal(dIh[b * G + H + i], f(f(f(dct * f(cs2[b * H + i])) * fg) * f(1 - fg)), `df at ${b},${i}`);
        assert.equal(dIh[b * G + 3 * H + i], f(f(f(m * t) * og) * f(1 - og)), `do at ${b},${i}`);
        assert.equal(dcPrev[b * H + i], f(dct * fg), `dc at ${b},${i}`);
      }
  });
});

/** Distance in float32 units in the last place between two float32 values of the same sign. */
function f32ulps(a: number, b: number): number {
  const bits = new Int32Array(new Float32Array([a, b]).buffer);
  const order = (v: number) => (v < 0 ? -(v & 0x7fffffff) : v);
  return Math.abs(order(bits[0]) - order(bits[1]));
}
