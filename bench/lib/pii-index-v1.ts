/**
 * The previous release's PII index, the reference the profile bench measures the index pass
 * against: each value's salted SHA-256, its first 16 base64url characters, in a Set of strings.
 */
import { hash } from 'node:crypto';
import { MIN_PII_LENGTH, normalizePii } from '../../src/privacy/pii-index.ts';

export class PiiIndexV1 {
  private readonly hashes = new Set<string>();

  constructor(private readonly salt: string) {}

  add(value: string): void {
    const normalized = normalizePii(value);
    if (normalized.length < MIN_PII_LENGTH) return;
    this.hashes.add(hash('sha256', this.salt + normalized, 'base64url').slice(0, 16));
  }

  get size(): number {
    return this.hashes.size;
  }

  toJSON() {
    return { version: 1 as const, salt: this.salt, truncated: false, hashes: [...this.hashes].sort() };
  }

  static fromJSON(json: { salt: string; hashes: string[] }): PiiIndexV1 {
    const index = new PiiIndexV1(json.salt);
    for (const h of json.hashes) index.hashes.add(h);
    return index;
  }
}
