/**
 * Seeded randomness. Every random draw in doppel comes from a `Rng` built from a seed and a
 * purpose, so any result can be rebuilt from the run's seed.
 */

/** FNV-1a 32-bit over a string: a cheap, stable hash for deriving seeds. */
export const hash32 = (text: string): number => {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
};

/**
 * `hash32` over bytes [s, e) of `buf`, as a signed 32-bit integer (an Int32Array's): for ASCII
 * bytes, `hash32` of their text (`>>> 0` of this), so a value read from its bytes hashes as its text.
 */
export const hash32Bytes = (buf: Uint8Array, s: number, e: number): number => {
  let h = 0x811c9dc5;
  for (let k = s; k < e; k++) h = Math.imul(h ^ buf[k]!, 0x01000193);
  return h;
};

/** Derives an independent 32-bit seed from a base seed and labels (shard, column, purpose). */
export const deriveSeed = (seed: number, ...labels: (string | number)[]): number =>
  hash32(`${seed >>> 0}/${labels.join('/')}`);

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal. */
  normal(): number;
}

/** sfc32: small, fast, passes PractRand well beyond what we draw. */
export const createRng = (seed: number): Rng => {
  // The state stays in int32 (small integers to V8, never boxed): every step is 32-bit arithmetic,
  // so signed or unsigned state gives the same bits.
  let a = 0x9e3779b9 | 0;
  let b = 0x243f6a88 | 0;
  let c = 0xb7e15162 | 0;
  let d = seed | 0;
  const next32 = (): number => {
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 15; i++) next32();
  let spare: number | undefined;
  const next = (): number => next32() / 4294967296;
  return {
    next,
    int: (n) => Math.floor(next() * n),
    normal: () => {
      if (spare !== undefined) {
        const s = spare;
        spare = undefined;
        return s;
      }
      let u = 0;
      while (u === 0) u = next();
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
  };
};
