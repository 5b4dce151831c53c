import { hash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { normalizePii, PiiIndex, type PiiIndexJson } from '../../src/privacy/pii-index.ts';

const emails = (n: number, from = 0): string[] =>
  Array.from({ length: n }, (_, i) => `person.${from + i}@example.com`);

describe('PiiIndex', () => {
  it('knows every value added, in any spelling that normalizes alike, and no other', () => {
    // Prepare: enough values that the table grows many times over
    const index = new PiiIndex('salt');

    // Act
    for (const e of emails(50_000)) index.add(e);
    index.add('(555) 123-4567');

    // Assess
    expect(index.size).toBe(50_001);
    for (const e of emails(50_000)) expect(index.has(e)).toBe(true);
    expect(index.has('PERSON.49999@Example.com')).toBe(true);
    expect(index.has('555.123.4567')).toBe(true);
    expect(emails(10_000, 50_000).some((e) => index.has(e))).toBe(false);
    expect(index.has('12345')).toBe(false); // too short to identify anyone
  });

  it('counts a value once, however often it is added', () => {
    const index = new PiiIndex('salt');

    for (let i = 0; i < 3; i++) index.add('jane.doe@example.com');

    expect(index.size).toBe(1);
  });

  it('depends on its salt: the same value under another salt is another key', () => {
    const a = new PiiIndex('run-a');
    a.add('jane.doe@example.com');

    const b = PiiIndex.fromJSON({ ...a.toJSON(), salt: 'run-b' });

    expect(b.has('jane.doe@example.com')).toBe(false);
  });

  it('stops at its cap and says it is partial', () => {
    const index = new PiiIndex('salt', 100);

    for (const e of emails(150)) index.add(e);

    expect(index.size).toBe(100);
    expect(index.truncated).toBe(true);
    expect(index.toJSON()).toMatchObject({ count: 100, truncated: true });
  });

  it('unites indexes of parts of a seed into the index of the whole, and stays partial past its cap', () => {
    // Prepare: two parts sharing a quarter of their values
    const whole = new PiiIndex('salt');
    const first = new PiiIndex('salt');
    const second = new PiiIndex('salt');
    for (const e of emails(4000)) whole.add(e);
    for (const e of emails(2500)) first.add(e);
    for (const e of emails(2500, 1500)) second.add(e);
    const small = new PiiIndex('salt', 3000);

    // Act
    first.union(second);
    small.union(first);

    // Assess
    expect(first.toJSON()).toEqual(whole.toJSON());
    expect(first.truncated).toBe(false);
    expect(small.size).toBe(3000);
    expect(small.truncated).toBe(true);
    expect(() => whole.union(new PiiIndex('pepper'))).toThrow(/different salts/);
  });

  it('round-trips through JSON, the same bytes whatever the order values came in', () => {
    // Prepare
    const forward = new PiiIndex('salt');
    const backward = new PiiIndex('salt');
    const values = emails(5_000);

    // Act
    for (const e of values) forward.add(e);
    for (const e of [...values].reverse()) backward.add(e);
    const json = JSON.parse(JSON.stringify(forward.toJSON())) as PiiIndexJson;
    const back = PiiIndex.fromJSON(json);

    // Assess: 8 bytes a value at rest, no value in clear
    expect(JSON.stringify(backward.toJSON())).toBe(JSON.stringify(json));
    expect(json).toMatchObject({ version: 2, count: 5_000 });
    expect(JSON.stringify(json)).not.toContain('example');
    expect(Buffer.from((json as { keys: string }).keys, 'base64')).toHaveLength(8 * 5_000);
    expect(back.size).toBe(5_000);
    for (const e of values) expect(back.has(e)).toBe(true);
  });

  it('reads an index written before (version 1: 16 base64url characters of each salted SHA-256)', () => {
    // Prepare: what the previous release wrote for these values
    const values = emails(1_000);
    const v1: PiiIndexJson = {
      version: 1,
      salt: 'old-run',
      truncated: false,
      hashes: values.map((e) => hash('sha256', `old-run${normalizePii(e)}`, 'base64url').slice(0, 16)).sort(),
    };

    // Act
    const index = PiiIndex.fromJSON(v1);

    // Assess
    expect(index.size).toBe(1_000);
    for (const e of values) expect(index.has(e)).toBe(true);
    expect(index.has('someone.else@example.com')).toBe(false);
  });

  it('refuses keys whose length does not match their count', () => {
    const json = { ...new PiiIndex('salt').toJSON(), count: 3 } as PiiIndexJson;

    expect(() => PiiIndex.fromJSON(json)).toThrow(/0 bytes of keys where 3 keys take 24/);
  });
});
