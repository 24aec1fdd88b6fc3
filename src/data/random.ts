/**
 * Counter-based seeding for every random draw in a study: a stream is named by its key
 * (seed, purpose string, then integers such as epoch, B, draw), the key is hashed to 128
 * bits, and those bits seed xoshiro128** (Blackman and Vigna, 2018; 32-bit words, period
 * 2^128 - 1). A draw is therefore reproducible from its arguments alone, whatever was
 * drawn before it, and a resumed run needs to record only the seed.
 *
 * The hash is MurmurHash3's 32-bit block mix run in four lanes with different seeds over
 * the key's words: not cryptographic, but it mixes fully, and two keys share a state with
 * probability about 2^-128. Changing any constant here changes every sample ever drawn.
 */
import { expected, isNonNegativeInteger } from '../core/errors';

const LANE_SEEDS = [0x9e3779b9, 0x7f4a7c15, 0x85ebca6b, 0xc2b2ae35];
const TWO_32 = 4294967296;

export class Xoshiro128 {
  private s: Uint32Array;

  constructor(state: ArrayLike<number>) {
    this.s = Uint32Array.from(state);
    if (this.s.length !== 4 || this.s.every((w) => w === 0)) {
      throw expected('4 words, not all zero', 'xoshiro128** state', state);
    }
  }

  /** Next uniform 32-bit unsigned integer (xoshiro128**). */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Exactly uniform integer in [0, n), 1 <= n <= 2^32: rejects the top partial block. */
  below(n: number): number {
    const limit = TWO_32 - (TWO_32 % n);
    let u = this.nextUint32();
    while (u >= limit) u = this.nextUint32();
    return u % n;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }

  state(): number[] {
    return Array.from(this.s);
  }
}

/** The generator for the stream named by (seed, purpose, ...ints). */
export function rngFor(seed: number, purpose: string, ...ints: number[]): Xoshiro128 {
  checkKeyInteger(seed, 'seed');
  ints.forEach((value) => checkKeyInteger(value, 'stream index'));
  const text = new TextEncoder().encode(purpose);
  const words: number[] = [seed >>> 0, Math.floor(seed / TWO_32), text.length];
  for (let i = 0; i < text.length; i += 4) {
    words.push(
      (text[i]! | (text[i + 1]! << 8) | (text[i + 2]! << 16) | (text[i + 3]! << 24)) >>> 0,
    );
  }
  words.push(ints.length);
  for (const value of ints) words.push(value >>> 0, Math.floor(value / TWO_32));
  const state = LANE_SEEDS.map((laneSeed) => murmurLane(words, laneSeed));
  if (!state.some((w) => w !== 0)) state[0] = 1;
  return new Xoshiro128(state);
}

function checkKeyInteger(value: number, option: string): void {
  if (!isNonNegativeInteger(value) || !Number.isSafeInteger(value)) {
    throw expected('a non-negative integer', option, value);
  }
}

function murmurLane(words: readonly number[], seed: number): number {
  let h = seed | 0;
  for (const word of words) {
    let k = Math.imul(word, 0xcc9e2d51);
    k = rotl(k, 15);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = rotl(h, 13);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= words.length * 4;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
