/**
 * The bundled sample seed: a realistic customer table, generated deterministically with faker so the
 * repo ships no personal data and every machine gets the same bytes. PII columns (name, email,
 * phone, SSN, street address, date of birth) sit beside numeric, categorical, boolean and date
 * columns, some with nulls, and with dependence between them (tier drives spend and orders).
 */
import { en, Faker } from '@faker-js/faker';
import { createRng } from '../random.ts';
import type { Cell, Table } from '../table.ts';

export const CUSTOMER_COLUMNS = [
  'customer_id',
  'full_name',
  'email',
  'phone',
  'ssn',
  'street_address',
  'date_of_birth',
  'state',
  'tier',
  'signup_date',
  'is_active',
  'orders',
  'total_spend',
  'satisfaction',
];

const TIERS = ['bronze', 'silver', 'gold', 'platinum'] as const;
const TIER_WEIGHTS = [0.5, 0.3, 0.15, 0.05];
const STATES = ['CA', 'TX', 'NY', 'FL', 'WA', 'IL', 'PA', 'OH', 'GA', 'NC'];
const STATE_WEIGHTS = [0.2, 0.15, 0.12, 0.11, 0.08, 0.08, 0.07, 0.07, 0.06, 0.06];

const pick = <T>(items: readonly T[], weights: number[], u: number): T => {
  let acc = 0;
  for (let i = 0; i < items.length; i++) {
    acc += weights[i] ?? 0;
    if (u < acc) return items[i]!;
  }
  return items[items.length - 1]!;
};

const iso = (d: Date): string => d.toISOString().slice(0, 10);

/** A valid-looking US SSN: area 001-665 or 667-899, group 01-99, serial 0001-9999. */
const ssn = (rng: ReturnType<typeof createRng>): string => {
  let area = 1 + rng.int(898);
  if (area === 666) area = 667;
  const group = 1 + rng.int(99);
  const serial = 1 + rng.int(9999);
  return `${String(area).padStart(3, '0')}-${String(group).padStart(2, '0')}-${String(serial).padStart(4, '0')}`;
};

export const sampleCustomers = (rows = 1000, seed = 42): Table => {
  const faker = new Faker({ locale: [en] });
  faker.seed(seed);
  const rng = createRng(seed);
  const out: Cell[][] = [];
  const base = Date.UTC(2026, 0, 1);
  for (let i = 0; i < rows; i++) {
    const first = faker.person.firstName();
    const last = faker.person.lastName();
    const tierIndex = TIERS.indexOf(pick(TIERS, TIER_WEIGHTS, rng.next()));
    const orders = Math.max(0, Math.round(2 + tierIndex * 6 + rng.normal() * (2 + tierIndex * 2)));
    const spend = orders * (35 + tierIndex * 20) * Math.exp(rng.normal() * 0.25);
    const signup = new Date(base - Math.floor(rng.next() * 6 * 365) * 86_400_000);
    const birth = faker.date.birthdate({ min: 18, max: 85, mode: 'age', refDate: new Date(base) });
    const satisfaction = Math.min(5, Math.max(1, Math.round(3 + tierIndex * 0.4 + rng.normal())));
    out.push([
      `CUS-${String(100000 + i * 7 + rng.int(7)).padStart(6, '0')}`,
      `${first} ${last}`,
      faker.internet.email({ firstName: first, lastName: last }).toLowerCase(),
      rng.next() < 0.05 ? null : faker.phone.number({ style: 'national' }),
      ssn(rng),
      faker.location.streetAddress(),
      iso(birth),
      pick(STATES, STATE_WEIGHTS, rng.next()),
      TIERS[tierIndex]!,
      iso(signup),
      rng.next() < 0.8 - tierIndex * 0.05 ? 'true' : 'false',
      String(orders),
      rng.next() < 0.03 ? null : spend.toFixed(2),
      rng.next() < 0.15 ? null : String(satisfaction),
    ]);
  }
  return { columns: [...CUSTOMER_COLUMNS], rows: out };
};
