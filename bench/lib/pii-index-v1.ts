/**
 * The previous release's PII index, the reference the profile bench measures the index pass
 * against: each value's salted SHA-256, its first 16 base64url characters, in a Set of strings.
 */
import { hash } from 'node:crypto';
import { MIN_PII_LENGTH, normalizePii } from '../../src/privacy/pii-index.ts';

export class PiiIndexV1 {
  private readonly hashes = new Set<string>();
  private overflow = false;

  constructor(
    private readonly salt: string,
    private readonly cap = 2_000_000,
  ) {}

  add(value: string): void {
    const normalized = normalizePii(value);
    if (normalized.length < MIN_PII_LENGTH) return;
    if (this.hashes.size >= this.cap) {
      this.overflow = true;
      return;
    }
    this.hashes.add(hash('sha256', this.salt + normalized, 'base64url').slice(0, 16));
  }

  get size(): number {
    return this.hashes.size;
  }

  get truncated(): boolean {
    return this.overflow;
  }

  toJSON() {
    return {
      version: 1 as const,
      salt: this.salt,
      truncated: this.overflow,
      hashes: [...this.hashes].sort(),
    };
  }

  static fromJSON(json: { salt: string; hashes: string[] }): PiiIndexV1 {
    const index = new PiiIndexV1(json.salt);
    for (const h of json.hashes) index.hashes.add(h);
    return index;
  }
}
