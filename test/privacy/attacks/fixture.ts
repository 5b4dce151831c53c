/**
 * Tables for the attack tests: the sample customers split into train and holdout (PII dropped, as
 * the gate holds them), an honest output (an independent draw from the same distribution), and
 * leaky outputs that copy train rows.
 */
import { createRng } from '../../../src/random.ts';
import { sampleCustomers } from '../../../src/sample/customers.ts';
import type { Cell, Table } from '../../../src/table.ts';
import { handProfile } from '../../helpers/customer-profile.ts';
import { customersProfile, split, withoutPii } from '../customers-fixture.ts';

const SEED = sampleCustomers(6000, 42);
export const PROFILE = customersProfile(SEED);
export const [TRAIN, HOLDOUT] = split(withoutPii(SEED), 3000);

/** What a model that learned only the distribution emits: fresh rows, never the seed's. */
export const HONEST = withoutPii(sampleCustomers(3000, 777));

/** A generator that memorised its training rows. */
export const COPY: Table = { columns: TRAIN.columns, rows: TRAIN.rows.map((row) => [...row]) };

/** Training rows with 1% noise on the spend: near copies, never exact ones. */
export const NOISY: Table = {
  columns: TRAIN.columns,
  rows: TRAIN.rows.map((row) =>
    row.map((cell, j) =>
      TRAIN.columns[j] === 'total_spend' && cell !== null ? (Number(cell) * 1.01).toFixed(2) : cell,
    ),
  ),
};

/**
 * People with classic quasi-identifiers (ZIP code, age, sex) and an income: 200 ZIP codes × 73
 * ages × 2 sexes, so most combinations are rare in a few thousand rows.
 */
export const people = (rows: number, seed: number): Table => {
  const rng = createRng(seed);
  const out: Cell[][] = [];
  for (let i = 0; i < rows; i++) {
    // Skewed: low ZIP numbers are the populous ones.
    const zip = String(10000 + Math.floor(200 * rng.next() ** 2));
    const age = String(18 + rng.int(73));
    const sex = rng.next() < 0.5 ? 'F' : 'M';
    const income = (20000 + 60000 * rng.next()).toFixed(0);
    out.push([zip, age, sex, income]);
  }
  return { columns: ['zip_code', 'age', 'sex', 'income'], rows: out };
};

export const peopleProfile = (table: Table) =>
  handProfile('people.csv', table, {
    zip_code: { kind: 'categorical' },
    age: { kind: 'integer' },
    sex: { kind: 'categorical' },
    income: { kind: 'integer' },
  });
