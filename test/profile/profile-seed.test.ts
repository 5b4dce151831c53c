import { gzipSync } from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import type { ColumnProfile } from '../../src/contracts.ts';
import { BadInputError } from '../../src/errors.ts';
import { profileSource, profileStream } from '../../src/profile/profile-seed.ts';
import { createRng } from '../../src/random.ts';
import { sampleCustomers } from '../../src/sample/customers.ts';
import { type Table, toCsv } from '../../src/table.ts';
import { chunked } from '../helpers/byte-stream.ts';
import { vegaCsv, vegaRecords } from '../helpers/vega.ts';

const byName = (columns: ColumnProfile[]): Record<string, ColumnProfile> =>
  Object.fromEntries(columns.map((c) => [c.name, c]));

const profileCsv = (csv: string | Uint8Array, name = 'seed.csv', seed = 7, extra = {}) =>
  profileSource(chunked(csv, 4096), name, { seed, ...extra });

describe('profileSource on the bundled customer sample', async () => {
  // Prepare (shared): the sample written to CSV and fed in 7-byte chunks.
  const table = sampleCustomers(1000);
  const csv = toCsv(table);
  const result = await profileSource(chunked(csv, 7), 'customers.csv', { seed: 11, bytes: 123 });
  const columns = byName(result.profile.columns);

  it('describes the file and counts every row', () => {
    // Assess
    expect(result.profile.source).toEqual({
      name: 'customers.csv',
      bytes: 123,
      format: 'csv',
      compression: 'none',
      delimiter: ',',
    });
    expect(result.profile.rows).toBe(1000);
    expect(result.profile.warnings).toEqual([]);
  });

  it('gives each column the kind its values have', () => {
    // Assess
    const kinds = Object.fromEntries(result.profile.columns.map((c) => [c.name, c.kind]));
    expect(kinds).toEqual({
      customer_id: 'id',
      full_name: 'text',
      email: 'text',
      phone: 'text',
      ssn: 'text',
      street_address: 'text',
      date_of_birth: 'date',
      state: 'categorical',
      tier: 'categorical',
      signup_date: 'date',
      is_active: 'boolean',
      orders: 'integer',
      total_spend: 'float',
      satisfaction: 'integer',
    });
    expect(columns.signup_date?.format).toBe('YYYY-MM-DD');
    expect(columns.total_spend?.decimals).toBe(2);
    expect(columns.orders?.min).toBe(Math.min(...table.rows.map((r) => Number(r[11]))));
  });

  it('finds the PII columns, with evidence that quotes no value, and nothing in the others', () => {
    // Assess
    const semantics = Object.fromEntries(
      result.profile.columns.filter((c) => c.semantic).map((c) => [c.name, c.semantic?.type]),
    );
    expect(semantics).toEqual({
      full_name: 'person_name',
      email: 'email',
      phone: 'phone',
      ssn: 'ssn',
      street_address: 'street_address',
      date_of_birth: 'date_of_birth',
    });
    for (const column of result.profile.columns.filter((c) => c.semantic)) {
      expect(column.semantic?.confidence).toBeGreaterThanOrEqual(0.8);
      for (const row of table.rows.slice(0, 50))
        expect(column.semantic?.evidence).not.toContain(row[column.index]);
    }
    expect(columns.email?.semantic?.evidence).toMatch(
      /^\d+% of 1000 sampled values are valid email addresses/,
    );
  });

  it('prints no value of a PII or id column, and the most frequent values of the others', () => {
    // Assess
    for (const name of [
      'customer_id',
      'full_name',
      'email',
      'phone',
      'ssn',
      'street_address',
      'date_of_birth',
    ]) {
      expect(columns[name]?.top, name).toEqual([]);
    }
    expect(columns.email?.min).toBeUndefined();
    const tierCounts = new Map<string, number>();
    for (const row of table.rows) tierCounts.set(row[8]!, (tierCounts.get(row[8]!) ?? 0) + 1);
    expect(columns.tier?.top).toEqual(
      [...tierCounts].sort((a, b) => b[1] - a[1]).map(([value, count]) => ({ value, count })),
    );
  });

  it('counts nulls as the table has them', () => {
    // Assess
    for (const column of result.profile.columns) {
      const nulls = table.rows.filter((r) => r[column.index] === null).length;
      expect(column.nulls, column.name).toBe(nulls);
      expect(column.nullRate, column.name).toBeCloseTo(nulls / 1000, 10);
      expect(column.count, column.name).toBe(1000 - nulls);
    }
    expect(columns.phone?.nulls).toBeGreaterThan(0);
  });

  it('holds out half of a 1,000-row seed (the 1,000-row floor, capped at half) in a sample sharing no row with train', () => {
    // Assess
    const trainIds = new Set(result.train.rows.map((r) => r[0]));
    const holdoutIds = result.holdout.rows.map((r) => r[0]);
    expect(result.train.columns).toEqual(table.columns);
    expect(holdoutIds).toHaveLength(500);
    expect(result.profile.split).toEqual({ train: 500, holdout: 500 });
    expect(trainIds.size + holdoutIds.length).toBe(1000);
    expect(holdoutIds.filter((id) => trainIds.has(id))).toEqual([]);
  });

  it('splits rows about 20/80 when the floor is set lower, and lifts a 3,000-row seed to 1,000 holdout rows', async () => {
    // Act
    const share = await profileSource(chunked(csv, 4096), 'customers.csv', { seed: 11, holdoutMin: 0 });
    const bigger = await profileSource(chunked(toCsv(sampleCustomers(3000)), 4096), 'c.csv', { seed: 11 });

    // Assess
    expect(share.holdout.rows.length).toBeGreaterThan(150);
    expect(share.holdout.rows.length).toBeLessThan(250);
    expect(bigger.profile.split).toEqual({ train: 2000, holdout: 1000 });
    expect(bigger.holdout.rows).toHaveLength(1000);
    const train = new Set(bigger.train.rows.map((r) => r[0]));
    expect(bigger.holdout.rows.filter((r) => train.has(r[0]))).toEqual([]);
  });

  it('gives the same split and samples for the same seed, and another split for another seed', async () => {
    // Act
    const again = await profileSource(chunked(csv, 4096), 'customers.csv', { seed: 11 });
    const other = await profileSource(chunked(csv, 4096), 'customers.csv', { seed: 12 });
    // Assess
    expect(again.train).toEqual(result.train);
    expect(again.holdout).toEqual(result.holdout);
    expect(other.holdout.rows.map((r) => r[0])).not.toEqual(result.holdout.rows.map((r) => r[0]));
  });

  it('keeps uniform samples of the requested sizes, disjoint still', async () => {
    // Act
    const small = await profileSource(chunked(csv, 4096), 'customers.csv', {
      seed: 3,
      trainSampleSize: 100,
      holdoutSampleSize: 30,
    });
    // Assess
    expect(small.train.rows).toHaveLength(100);
    expect(small.holdout.rows).toHaveLength(30);
    const train = new Set(small.train.rows.map((r) => r[0]));
    expect(small.holdout.rows.some((r) => train.has(r[0]))).toBe(false);
    // Rows come from the whole file, not only its start.
    const positions = small.train.rows.map((r) => table.rows.findIndex((t) => t[0] === r[0]));
    expect(Math.max(...positions)).toBeGreaterThan(800);
    expect(Math.min(...positions)).toBeLessThan(200);
  });
});

describe('profileSource on a real public table (vega penguins)', async () => {
  // Prepare (shared)
  const records = vegaRecords('penguins.json');
  const result = await profileCsv(vegaCsv('penguins.json'), 'penguins.csv');
  const columns = byName(result.profile.columns);
  const missing = (key: string) => records.filter((r) => r[key] === null || r[key] === undefined).length;

  it('finds categories, measures and their missing values', () => {
    // Assess
    expect(result.profile.rows).toBe(records.length);
    expect(columns.Species?.kind).toBe('categorical');
    expect(columns.Island?.kind).toBe('categorical');
    expect(columns.Sex?.kind).toBe('categorical');
    expect(columns['Beak Length (mm)']?.kind).toBe('float');
    expect(columns['Beak Depth (mm)']?.kind).toBe('float');
    expect(columns['Beak Length (mm)']?.decimals).toBe(1);
    expect(columns['Flipper Length (mm)']?.kind).toBe('integer');
    expect(columns['Body Mass (g)']?.kind).toBe('integer');
    for (const column of result.profile.columns) expect(column.nulls, column.name).toBe(missing(column.name));
    expect(columns.Sex?.nulls).toBeGreaterThan(0);
    expect(columns.Species?.top.map((t) => t.value).sort()).toEqual(['Adelie', 'Chinstrap', 'Gentoo']);
    expect(result.profile.columns.filter((c) => c.semantic)).toEqual([]);
  });

  it('computes mean and standard deviation of the measures', () => {
    // Assess
    const masses = records.map((r) => r['Body Mass (g)']).filter((v): v is number => typeof v === 'number');
    const mean = masses.reduce((a, b) => a + b, 0) / masses.length;
    const std = Math.sqrt(masses.reduce((a, b) => a + (b - mean) ** 2, 0) / (masses.length - 1));
    expect(columns['Body Mass (g)']?.mean).toBeCloseTo(mean, 6);
    expect(columns['Body Mass (g)']?.std).toBeCloseTo(std, 6);
    expect(columns['Body Mass (g)']?.min).toBe(Math.min(...masses));
    expect(columns['Body Mass (g)']?.max).toBe(Math.max(...masses));
  });
});

describe('profileSource: look-alikes are not PII', () => {
  const rng = createRng(99);
  const digits = (n: number) =>
    Array.from({ length: n }, (_, i) => (i === 0 ? 1 + rng.int(9) : rng.int(10))).join('');
  const luhnDigit = (body: string): string => {
    for (let d = 0; d < 10; d++) {
      const s = body + d;
      let sum = 0;
      for (let i = 0; i < s.length; i++) {
        let x = Number(s[s.length - 1 - i]);
        if (i % 2 === 1) x = x * 2 > 9 ? x * 2 - 9 : x * 2;
        sum += x;
      }
      if (sum % 10 === 0) return String(d);
    }
    return '0';
  };

  it('does not take 9-digit order numbers for SSNs, nor random 16-digit numbers for cards', async () => {
    // Prepare
    const rows = Array.from({ length: 500 }, () => {
      const body = digits(15);
      const check = Number(luhnDigit(body));
      const failing = body + ((check + 1 + rng.int(9)) % 10);
      const payment = `4${digits(14)}`;
      return [digits(9), failing, payment + luhnDigit(payment), String(rng.int(5))];
    });
    const table: Table = { columns: ['order_number', 'reference', 'payment', 'n'], rows };
    // Act
    const { profile } = await profileCsv(toCsv(table), 'orders.csv');
    const columns = byName(profile.columns);
    // Assess
    expect(columns.order_number?.semantic).toBeUndefined();
    expect(columns.order_number?.kind).toBe('integer');
    expect(columns.reference?.semantic).toBeUndefined();
    expect(columns.payment?.semantic?.type).toBe('credit_card');
    expect(columns.payment?.kind).toBe('text');
  });

  it('takes bare 9-digit numbers for SSNs when the column name says so', async () => {
    // Prepare
    const rows = Array.from({ length: 200 }, () => [
      `${100 + rng.int(500)}${10 + rng.int(89)}${1000 + rng.int(8999)}`,
    ]);
    // Act
    const { profile } = await profileCsv(toCsv({ columns: ['ssn'], rows }), 'people.csv');
    // Assess
    expect(profile.columns[0]?.semantic?.type).toBe('ssn');
    expect(profile.columns[0]?.semantic?.evidence).toMatch(/column name hints ssn/);
  });

  it('does not take two-word city names for person names', async () => {
    // Prepare
    const cities = ['New York', 'San Francisco', 'Los Angeles', 'Las Vegas', 'El Paso', 'San Diego'];
    const rows = Array.from({ length: 300 }, (_, i) => [cities[i % cities.length]!, String(i)]);
    // Act
    const { profile } = await profileCsv(toCsv({ columns: ['city', 'n'], rows }), 'cities.csv');
    // Assess
    expect(profile.columns[0]?.kind).toBe('categorical');
    expect(profile.columns[0]?.semantic).toBeUndefined();
  });
});

describe('profileSource: kinds, formats, nulls and alerts', () => {
  it('reads datetimes with their format, day-first dates, and null tokens in typed columns', async () => {
    // Prepare
    const rows = Array.from({ length: 60 }, (_, i) => [
      `2024-03-${String(1 + (i % 28)).padStart(2, '0')}T${String(i % 24).padStart(2, '0')}:15:00Z`,
      `${String(1 + (i % 28)).padStart(2, '0')}/0${1 + (i % 9)}/2023`,
      i % 10 === 0 ? 'NA' : String(i * 1.5),
      i % 10 === 0 ? 'NA' : ['red', 'blue'][i % 2]!,
      i % 3 === 0 ? '1' : '0',
      i % 3 === 0 ? '1' : '0',
    ]);
    const table: Table = { columns: ['seen_at', 'visit', 'score', 'colour', 'is_member', 'grade'], rows };
    // Act
    const result = await profileCsv(toCsv(table), 'visits.csv');
    const columns = byName(result.profile.columns);
    // Assess
    expect(columns.seen_at?.kind).toBe('datetime');
    expect(columns.seen_at?.format).toBe('YYYY-MM-DDTHH:mm:ssZ');
    expect(columns.seen_at?.min).toBe('2024-03-01T00:15:00Z');
    expect(columns.visit?.kind).toBe('date');
    expect(columns.visit?.format).toBe('DD/MM/YYYY');
    expect(columns.score?.kind).toBe('float');
    expect(columns.score?.nulls).toBe(6);
    expect(columns.colour?.kind).toBe('categorical');
    expect(columns.colour?.nulls).toBe(0);
    expect(columns.colour?.distinct).toBe(3);
    expect(columns.is_member?.kind).toBe('boolean');
    expect(columns.grade?.kind).toBe('integer');
    // Null tokens of typed columns are nulls in the samples too; in text columns they are values.
    const all = [...result.train.rows, ...result.holdout.rows];
    expect(all.some((r) => r[2] === 'NA')).toBe(false);
    expect(all.filter((r) => r[3] === 'NA')).toHaveLength(6);
  });

  it('applies the spec overrides: kind forced, semantic removed or forced', async () => {
    // Prepare
    const table = sampleCustomers(200);
    // Act
    const { profile } = await profileCsv(toCsv(table), 'customers.csv', 5, {
      overrides: {
        email: { semantic: null },
        tier: { semantic: 'last_name' },
        satisfaction: { kind: 'categorical' },
        nope: { drop: true },
      },
    });
    const columns = byName(profile.columns);
    // Assess
    expect(columns.email?.semantic).toBeUndefined();
    expect(columns.tier?.semantic).toEqual({
      type: 'last_name',
      confidence: 1,
      evidence: 'set by the dataset spec',
    });
    expect(columns.tier?.top).toEqual([]);
    expect(columns.satisfaction?.kind).toBe('categorical');
    expect(profile.warnings.join(' ')).toMatch(/overrides column "nope", which customers\.csv does not have/);
  });

  it('raises alerts a data owner would want to see', async () => {
    // Prepare
    const rows = Array.from({ length: 400 }, (_, i) => [
      'EU',
      i % 4 === 0 ? String(i) : null,
      i < 380 ? 'ok' : 'failed',
      String(i < 390 ? 1 : 10_000),
    ]);
    // Act
    const { profile } = await profileCsv(
      toCsv({ columns: ['region', 'sparse', 'status', 'amount'], rows }),
      'alerts.csv',
    );
    const columns = byName(profile.columns);
    // Assess
    expect(columns.region?.alerts).toContainEqual(expect.stringMatching(/^constant/));
    expect(columns.sparse?.alerts).toContainEqual(expect.stringMatching(/^high-missing: 75%/));
    expect(columns.status?.alerts).toContainEqual(expect.stringMatching(/^imbalanced: .* 95%/));
    expect(columns.amount?.alerts).toContainEqual(expect.stringMatching(/^skewed/));
    expect(columns.status?.alerts.some((a) => a.startsWith('skewed'))).toBe(false);
  });

  it('estimates distinct values past the exact cap, in bounded memory', async () => {
    // Prepare
    const rows = Array.from({ length: 30_000 }, (_, i) => [`k${i}`, String(i % 7)]);
    // Act
    const { profile } = await profileCsv(toCsv({ columns: ['key', 'g'], rows }), 'big.csv');
    // Assess
    const key = profile.columns[0]!;
    expect(key.kind).toBe('id');
    expect(key.distinct).toBeGreaterThan(27_000);
    expect(key.distinct).toBeLessThan(33_000);
    expect(key.distinctEstimated).toBe(true);
    expect(key.alerts.join('; ')).not.toMatch(/estimate/);
    expect(profile.columns[1]?.distinct).toBe(7);
    expect(profile.columns[1]?.distinctEstimated).toBeUndefined();
  });
});

describe('profileSource: formats', () => {
  it('profiles gzipped JSON Lines like the same table as CSV', async () => {
    // Prepare
    const table = sampleCustomers(300);
    const jsonl = table.rows
      .map((r) => JSON.stringify(Object.fromEntries(table.columns.map((c, i) => [c, r[i] ?? null]))))
      .join('\n');
    // Act
    const fromJsonl = await profileCsv(gzipSync(Buffer.from(jsonl)), 'customers.jsonl.gz');
    const fromCsv = await profileCsv(toCsv(table), 'customers.csv');
    // Assess
    expect(fromJsonl.profile.source.format).toBe('jsonl');
    expect(fromJsonl.profile.source.compression).toBe('gzip');
    expect(fromJsonl.profile.columns).toEqual(fromCsv.profile.columns);
    expect(fromJsonl.holdout).toEqual(fromCsv.holdout);
  });

  it('profiles columns past the distinct cap alike through the row reader (JSON Lines) and the byte scanner (CSV)', async () => {
    // Prepare: 13,334 timestamps in runs of three (past the 10,000 cap, each repeating a recent
    // value, as the row reader's recent-values cache finds them), distinct numbers, a category.
    const rng = createRng(5);
    const table: Table = {
      columns: ['at', 'x', 'g'],
      rows: Array.from({ length: 40_000 }, (_, i) => [
        new Date(Date.UTC(2024, 0, 1) + Math.floor(i / 3) * 60_000).toISOString(),
        (rng.next() * 1000).toFixed(4),
        ` ${'abc'[i % 3]}`,
      ]),
    };
    const jsonl = table.rows.map((r) => JSON.stringify({ at: r[0], x: r[1], g: r[2] })).join('\n');
    // Act
    const fromJsonl = await profileCsv(gzipSync(Buffer.from(jsonl)), 'times.jsonl.gz');
    const csv = toCsv(table);
    const fromCsv = await profileStream(async () => chunked(csv, 4096), 'times.csv', { seed: 7 });
    // Assess
    const at = fromJsonl.profile.columns[0]!;
    expect(at.kind).toBe('datetime');
    expect(at.distinctEstimated).toBe(true);
    expect(fromJsonl.profile.columns).toEqual(fromCsv.profile.columns);
    expect(fromJsonl.quantiles).toEqual(fromCsv.quantiles);
    expect(fromJsonl.train).toEqual(fromCsv.train);
  });

  it('fails with BadInputError naming the file when the seed is bad', async () => {
    // Act
    const attempt = profileCsv('a,b\n1,2\n3\n', 'short.csv');
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(BadInputError);
    await expect(attempt).rejects.toThrow('short.csv: row 2 (line 3) has 1 fields, the header has 2');
  });
});

describe('the phone metadata, loaded only where a value could be a phone number', () => {
  it('profiles a seed without seven-digit values without loading it, and still finds the next seed’s phones', async () => {
    // Prepare: a fresh module graph whose phone library counts its loads.
    vi.resetModules();
    let loads = 0;
    vi.doMock('libphonenumber-js/min', async () => {
      loads++;
      return vi.importActual('libphonenumber-js/min');
    });
    const fresh = await import('../../src/profile/profile-seed.ts');
    const profile = (csv: string, name: string) => fresh.profileSource(chunked(csv, 4096), name, { seed: 3 });
    const rows = (make: (i: number) => string) => Array.from({ length: 200 }, (_, i) => make(i)).join('\n');

    // Act: flights-like codes and small numbers (and a date, whose eight digits are no phone), then phones.
    const codes = await profile(
      `origin,delay,day\n${rows((i) => `${['ATL', 'ORD', 'SEA'][i % 3]},${(i % 90) - 20},2001-01-${10 + (i % 20)}`)}\n`,
      'codes.csv',
    );
    const loadsAfterCodes = loads;
    const phones = await profile(
      `id,contact\n${rows((i) => `${i},+44 20 7946 ${String(1000 + i).padStart(4, '0')}`)}\n`,
      'contacts.csv',
    );

    // Assess
    expect(codes.profile.columns.every((c) => c.semantic === undefined)).toBe(true);
    expect(loadsAfterCodes).toBe(0);
    expect(phones.profile.columns.find((c) => c.name === 'contact')?.semantic?.type).toBe('phone');
    expect(loads).toBe(1);
    vi.doUnmock('libphonenumber-js/min');
  });

  it('on the byte scanner, starts the load with the scan when the first lines hold written phone numbers, and only then', async () => {
    // Prepare: a fresh module graph whose phone library counts its loads; seeds read as streams
    vi.resetModules();
    let loads = 0;
    vi.doMock('libphonenumber-js/min', async () => {
      loads++;
      return vi.importActual('libphonenumber-js/min');
    });
    const fresh = await import('../../src/profile/profile-seed.ts');
    const profile = (csv: string, name: string) =>
      fresh.profileStream(async () => chunked(csv, 4096), name, { seed: 3 });
    const rows = (make: (i: number) => string) => Array.from({ length: 200 }, (_, i) => make(i)).join('\n');

    // Act: dates and small numbers first (no written phone among them), then written phones
    const codes = await profile(
      `origin,delay,day\n${rows((i) => `${['ATL', 'ORD', 'SEA'][i % 3]},${(i % 90) - 20},2001-01-${10 + (i % 20)}`)}\n`,
      'codes.csv',
    );
    const loadsAfterCodes = loads;
    const phones = await profile(
      `id,contact\n${rows((i) => `${i},(982) 313-${String(1000 + i).padStart(4, '0')}`)}\n`,
      'contacts.csv',
    );

    // Assess: loaded once, early or late, and the phones found as before
    expect(codes.profile.source.format).toBe('csv');
    expect(loadsAfterCodes).toBe(0);
    expect(phones.profile.columns.find((c) => c.name === 'contact')?.semantic?.type).toBe('phone');
    expect(loads).toBe(1);
    vi.doUnmock('libphonenumber-js/min');
  });
});
