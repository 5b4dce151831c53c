/**
 * The sample customer seed the way the gate stage hands it over: a profile, a PII index of the
 * identifying columns, and train/holdout samples with the PII columns dropped.
 */
import { type ColumnProfile, IDENTIFYING, type Profile, type SemanticType } from '../../src/contracts.ts';
import { PiiIndex } from '../../src/privacy/pii-index.ts';
import { CUSTOMER_COLUMNS } from '../../src/sample/customers.ts';
import type { Cell, Table } from '../../src/table.ts';

const KINDS: Record<string, [ColumnProfile['kind'], SemanticType?]> = {
  customer_id: ['id'],
  full_name: ['text', 'person_name'],
  email: ['text', 'email'],
  phone: ['text', 'phone'],
  ssn: ['text', 'ssn'],
  street_address: ['text', 'street_address'],
  date_of_birth: ['date', 'date_of_birth'],
  state: ['categorical'],
  tier: ['categorical'],
  signup_date: ['date'],
  is_active: ['boolean'],
  orders: ['integer'],
  total_spend: ['float'],
  satisfaction: ['integer'],
};

export const profileOf = (
  table: Table,
  kinds: Record<string, [ColumnProfile['kind'], SemanticType?]> = KINDS,
): Profile => ({
  version: 1,
  source: { name: 'customers.csv', bytes: 0, format: 'csv', compression: 'none' },
  rows: table.rows.length,
  alerts: [],
  columns: table.columns.map((name, index) => {
    const [kind, semantic] = kinds[name] ?? ['categorical'];
    return {
      name,
      index,
      kind,
      count: table.rows.length,
      nulls: 0,
      nullRate: 0,
      distinct: 0,
      top: [],
      alerts: [],
      ...(kind === 'date' ? { format: 'YYYY-MM-DD' } : {}),
      ...(semantic === undefined ? {} : { semantic: { type: semantic, confidence: 1, evidence: 'fixture' } }),
    };
  }),
  warnings: [],
});

export const customersProfile = (table: Table): Profile => profileOf(table, KINDS);

export const PII_COLUMNS = CUSTOMER_COLUMNS.filter((c) => KINDS[c]?.[1] !== undefined);

/** Columns whose values identify a person by themselves (a birth date alone does not). */
export const IDENTIFYING_COLUMNS = PII_COLUMNS.filter((c) => IDENTIFYING.has(KINDS[c]![1]!));

/** The seed's identifying values, as the profile stage indexes them. */
export const piiIndexOf = (
  table: Table,
  columns = IDENTIFYING_COLUMNS,
  index = new PiiIndex('test-salt'),
): PiiIndex => {
  const idx = columns.map((c) => table.columns.indexOf(c));
  for (const row of table.rows) {
    for (const i of idx) {
      const cell = row[i];
      if (cell !== null && cell !== undefined) index.add(cell);
    }
  }
  return index;
};

/** The table without its PII columns, as reference samples are stored. */
export const withoutPii = (table: Table, pii = PII_COLUMNS): Table => {
  const keep = table.columns.map((c, i) => [c, i] as const).filter(([c]) => !pii.includes(c));
  return {
    columns: keep.map(([c]) => c),
    rows: table.rows.map((row) => keep.map(([, i]) => row[i] ?? null)),
  };
};

/** The first `n` rows and the rest. */
export const split = (table: Table, n: number): [Table, Table] => [
  { columns: table.columns, rows: table.rows.slice(0, n) },
  { columns: table.columns, rows: table.rows.slice(n) },
];

/** Hands a table to a consumer in shards, as the gate stage streams them. */
export const shardsOf = (table: Table, size: number): Table[] => {
  const out: Table[] = [];
  for (let i = 0; i < table.rows.length; i += size)
    out.push({ columns: table.columns, rows: table.rows.slice(i, i + size) });
  return out;
};

/** A copy of the table with one column rewritten cell by cell. */
export const mapColumn = (table: Table, name: string, fn: (cell: Cell, row: number) => Cell): Table => {
  const j = table.columns.indexOf(name);
  if (j < 0) throw new Error(`no column ${name}`);
  return {
    columns: [...table.columns],
    rows: table.rows.map((row, r) => row.map((cell, i) => (i === j ? fn(cell, r) : cell))),
  };
};

/**
 * Identifying columns replaced by made-up values no seed holds, as the generator emits them once it
 * has redrawn every value the PII index knows.
 */
export const freshPii = (table: Table): Table => {
  const made: Record<string, (r: number) => string> = {
    full_name: (r) => `Synthetic Person ${r}`,
    email: (r) => `synthetic.person.${r}@example.invalid`,
    phone: (r) => `(999) 000-${String(r).padStart(4, '0')}`,
    ssn: (r) => `000-00-${String(r).padStart(4, '0')}`,
    street_address: (r) => `${r} Nowhere Lane`,
  };
  return Object.entries(made).reduce((t, [name, fn]) => mapColumn(t, name, (_, r) => fn(r)), table);
};
