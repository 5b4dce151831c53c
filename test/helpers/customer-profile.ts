/**
 * Hand-written profiles for model tests, so the model and sampler are tested apart from the profiler:
 * kinds, semantic types and formats are stated; counts are computed from the table.
 */
import type { ColumnKind, ColumnProfile, Profile, SemanticType } from '../../src/contracts.ts';
import type { Table } from '../../src/table.ts';

export interface ColumnSpec {
  kind: ColumnKind;
  semantic?: SemanticType;
  format?: string;
  decimals?: number;
}

export const handProfile = (name: string, table: Table, specs: Record<string, ColumnSpec>): Profile => ({
  version: 1,
  source: { name, bytes: 0, format: 'csv', compression: 'none' },
  rows: table.rows.length,
  alerts: [],
  warnings: [],
  columns: table.columns.map((column, index): ColumnProfile => {
    const spec = specs[column];
    if (spec === undefined) throw new Error(`no spec for column ${column}`);
    const cells = table.rows.map((row) => row[index] ?? null);
    const nulls = cells.filter((c) => c === null).length;
    return {
      name: column,
      index,
      kind: spec.kind,
      count: cells.length,
      nulls,
      nullRate: nulls / cells.length,
      distinct: new Set(cells.filter((c) => c !== null)).size,
      ...(spec.format === undefined ? {} : { format: spec.format }),
      ...(spec.decimals === undefined ? {} : { decimals: spec.decimals }),
      top: [],
      ...(spec.semantic === undefined
        ? {}
        : { semantic: { type: spec.semantic, confidence: 1, evidence: 'stated by the test' } }),
      alerts: [],
    };
  }),
});

/** The profile of `sampleCustomers` (src/sample/customers.ts). */
export const customerProfile = (table: Table): Profile =>
  handProfile('customers.csv', table, {
    customer_id: { kind: 'id' },
    full_name: { kind: 'text', semantic: 'person_name' },
    email: { kind: 'text', semantic: 'email' },
    phone: { kind: 'text', semantic: 'phone' },
    ssn: { kind: 'text', semantic: 'ssn' },
    street_address: { kind: 'text', semantic: 'street_address' },
    date_of_birth: { kind: 'date', semantic: 'date_of_birth', format: 'YYYY-MM-DD' },
    state: { kind: 'categorical' },
    tier: { kind: 'categorical' },
    signup_date: { kind: 'date', format: 'YYYY-MM-DD' },
    is_active: { kind: 'boolean' },
    orders: { kind: 'integer' },
    total_spend: { kind: 'float', decimals: 2 },
    satisfaction: { kind: 'integer' },
  });
