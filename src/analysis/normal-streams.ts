/**
 * Many independent streams of standard normal draws, stream j continuing the xoshiro128**
 * generator of rngFor(seed, purpose, j), for directions of a million entries or more.
 *
 * Marsaglia and Tsang's ziggurat (2000; 128 strips, their tables and RNOR): one 32-bit
 * word h read as a signed integer, strip i = h & 127; if |h| < k_i the draw is h w_i (about
 * 98.8% of draws); otherwise the wedge or the tail is sampled by rejection. The
 * generator's step is inlined (the arithmetic of Xoshiro128.nextUint32), so a draw costs a
 * few nanoseconds rather than the tens that Box-Muller through the generator object costs.
 */
import { rngFor } from '../data/random';

const STRIPS = 128;
const R = 3.442619855899;
const TWO_31 = 2147483648;
const KN = new Float64Array(STRIPS);
const WN = new Float64Array(STRIPS);
const FN = new Float64Array(STRIPS);
{
  // zigset of Marsaglia and Tsang, in float64
  const v = 9.91256303526217e-3;
  let dn = R;
  let tn = dn;
  const q = v / Math.exp(-0.5 * dn * dn);
  KN[0] = Math.floor((dn / q) * TWO_31);
  KN[1] = 0;
  WN[0] = q / TWO_31;
  WN[STRIPS - 1] = dn / TWO_31;
  FN[0] = 1;
  FN[STRIPS - 1] = Math.exp(-0.5 * dn * dn);
  for (let i = STRIPS - 2; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(v / dn + Math.exp(-0.5 * dn * dn)));
    KN[i + 1] = Math.floor((dn / tn) * TWO_31);
    tn = dn;
    FN[i] = Math.exp(-0.5 * dn * dn);
    WN[i] = dn / TWO_31;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

export class NormalStreams {
  private readonly state: Uint32Array;

  constructor(seed: number, purpose: string, count: number) {
    this.state = new Uint32Array(4 * count);
    for (let j = 0; j < count; j++) this.state.set(rngFor(seed, purpose, j).state(), 4 * j);
  }

  /** out[offset + i] = scale * (next draw of stream j), for i < count. */
  fill(j: number, out: Float64Array, offset: number, count: number, scale = 1): void {
    const st = this.state;
    let s0 = st[4 * j]! | 0;
    let s1 = st[4 * j + 1]! | 0;
    let s2 = st[4 * j + 2]! | 0;
    let s3 = st[4 * j + 3]! | 0;
    for (let i = offset; i < offset + count; i++) {
      const h = Math.imul(rotl(Math.imul(s1, 5), 7), 9); // the next word, as a signed integer
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = rotl(s3, 11);
      const strip = h & 127;
      if (Math.abs(h) < KN[strip]!) {
        out[i] = scale * h * WN[strip]!;
        continue;
      }
      st[4 * j] = s0;
      st[4 * j + 1] = s1;
      st[4 * j + 2] = s2;
      st[4 * j + 3] = s3;
      out[i] = scale * this.edge(j, h, strip);
      s0 = st[4 * j]! | 0;
      s1 = st[4 * j + 1]! | 0;
      s2 = st[4 * j + 2]! | 0;
      s3 = st[4 * j + 3]! | 0;
    }
    st[4 * j] = s0;
    st[4 * j + 1] = s1;
    st[4 * j + 2] = s2;
    st[4 * j + 3] = s3;
  }

  /** The next word of stream j as a signed integer (the slow path's generator). */
  private word(j: number): number {
    const st = this.state;
    const s1 = st[4 * j + 1]! | 0;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    st[4 * j + 2] ^= st[4 * j]!;
    st[4 * j + 3] ^= s1;
    st[4 * j + 1] ^= st[4 * j + 2]!;
    st[4 * j] ^= st[4 * j + 3]!;
    st[4 * j + 2] ^= t;
    st[4 * j + 3] = rotl(st[4 * j + 3]! | 0, 11);
    return result;
  }

  /** A uniform in (0, 1) from stream j. */
  private uniform(j: number): number {
    return ((this.word(j) >>> 0) + 0.5) / 4294967296;
  }

  /** Marsaglia and Tsang's nfix: the draw when h fell outside strip `strip`'s rectangle. */
  private edge(j: number, h: number, strip: number): number {
    for (;;) {
      const x = h * WN[strip]!;
      if (strip === 0) {
        // the tail beyond R
        let tx: number;
        let ty: number;
        do {
          tx = -Math.log(this.uniform(j)) / R;
          ty = -Math.log(this.uniform(j));
        } while (ty + ty < tx * tx);
        return h > 0 ? R + tx : -R - tx;
      }
      if (FN[strip]! + this.uniform(j) * (FN[strip - 1]! - FN[strip]!) < Math.exp(-0.5 * x * x))
        return x;
      h = this.word(j);
      strip = h & 127;
      if (Math.abs(h) < KN[strip]!) return h * WN[strip]!;
    }
  }
}
