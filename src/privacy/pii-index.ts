/**
 * A one-way index of the seed's identifying values (names, emails, phones, SSNs, addresses…), so
 * the generate stage and the gate can ask "is this a seed value?" without the work bucket holding
 * the values themselves. Values are normalized (case, punctuation) and hashed with a per-run salt.
 */
import { hash } from 'node:crypto';

/** Shorter normalized values collide by chance with ordinary data; they are not indexed or checked. */
export const MIN_PII_LENGTH = 6;

/** Lowercase, letters, digits and '@' only: '(555) 123-4567' and '555.123.4567' are the same phone. */
export const normalizePii = (value: string): string => value.toLowerCase().replace(/[^\p{L}\p{N}@]+/gu, '');

export interface PiiIndexJson {
  version: 1;
  salt: string;
  truncated: boolean;
  hashes: string[];
}

export class PiiIndex {
  readonly salt: string;
  readonly cap: number;
  private readonly hashes = new Set<string>();
  private overflow = false;

  constructor(salt: string, cap = 2_000_000) {
    this.salt = salt;
    this.cap = cap;
  }

  private digest(normalized: string): string {
    // One-shot hashing: about 3x faster than createHash for short values, and it runs per output cell.
    return hash('sha256', this.salt + normalized, 'base64url').slice(0, 16);
  }

  /** Adds a seed value; values too short to identify anyone are skipped. */
  add(value: string): void {
    const normalized = normalizePii(value);
    if (normalized.length < MIN_PII_LENGTH) return;
    if (this.hashes.size >= this.cap) {
      this.overflow = true;
      return;
    }
    this.hashes.add(this.digest(normalized));
  }

  /** True when the value, normalized, is one of the indexed seed values. */
  has(value: string): boolean {
    const normalized = normalizePii(value);
    return normalized.length >= MIN_PII_LENGTH && this.hashes.has(this.digest(normalized));
  }

  get size(): number {
    return this.hashes.size;
  }

  /** True when the seed had more identifying values than the cap: checks against it are incomplete. */
  get truncated(): boolean {
    return this.overflow;
  }

  toJSON(): PiiIndexJson {
    return { version: 1, salt: this.salt, truncated: this.overflow, hashes: [...this.hashes].sort() };
  }

  static fromJSON(json: PiiIndexJson): PiiIndex {
    const index = new PiiIndex(json.salt, Math.max(json.hashes.length, 1));
    for (const h of json.hashes) index.hashes.add(h);
    index.overflow = json.truncated;
    return index;
  }
}
