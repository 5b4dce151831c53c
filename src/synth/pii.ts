/**
 * Fake values for PII columns, by semantic type, from a seeded faker: nothing here ever sees a seed
 * value, only the layout hint the model keeps (e.g. '(###) ###-####', 'YYYY-MM-DD').
 *
 * `createPiiGenerator` seeds one faker per column and shard (re-seeding per cell would be slow);
 * `fakeValue` draws one value for a seed, for redrawing a value that happens to equal a seed value.
 */
import {
  de,
  en,
  en_AU,
  en_CA,
  en_GB,
  en_US,
  es,
  Faker,
  fr,
  it,
  type LocaleDefinition,
  nl,
  pl,
  pt_BR,
  sv,
} from '@faker-js/faker';
import { FakerLocale } from '../contracts.ts';
import { BadInputError } from '../errors.ts';
import { dateFormatter } from './datetime.ts';

export type PiiGenerator = () => string;

const YEAR_MS = 365.2425 * 86_400_000;
/** Birthdates are drawn relative to a fixed day so output does not change with the clock. */
const BIRTH_REFERENCE = Date.UTC(2026, 0, 1);

/** Fills '#' with digits and 'A'/'a' with letters from `pick`; other characters are kept. */
const fillShape = (shape: string, digit: (position: number) => number, letter: () => number): string => {
  let out = '';
  let position = 0;
  for (const ch of shape) {
    if (ch === '#') out += String(digit(position++));
    else if (ch === 'A') out += String.fromCharCode(65 + letter());
    else if (ch === 'a') out += String.fromCharCode(97 + letter());
    else out += ch;
  }
  return out;
};

const countDigits = (shape: string | undefined): number => (shape?.match(/#/g) ?? []).length;

const luhnComplete = (digits: number[]): number[] => {
  let sum = 0;
  // The check digit will sit at the end, so doubling starts from the last payload digit.
  for (let i = digits.length - 1, double = true; i >= 0; i--, double = !double) {
    let d = digits[i] as number;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return [...digits, (10 - (sum % 10)) % 10];
};

/** The locale's word lists, read once: picking from them directly is ~10x faster than faker's templates. */
interface Pools {
  firstNames: string[];
  lastNames: string[];
  streetSuffixes: string[];
  streetNames: string[];
  buildingNumbers: string[];
  exampleDomains: string[];
}

const poolsByLocale = new Map<string, Pools>();

const list = (value: unknown, fallback: string[]): string[] =>
  Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')
    ? (value as string[])
    : fallback;

const loadPools = (faker: Faker, locale: string): Pools => {
  const known = poolsByLocale.get(locale);
  if (known !== undefined) return known;
  const d = faker.rawDefinitions as Record<string, Record<string, unknown> | undefined>;
  const first = d.person?.first_name as Record<string, unknown> | undefined;
  const last = d.person?.last_name as Record<string, unknown> | undefined;
  const pools: Pools = {
    // faker picks mostly from the female and male lists (generic is a small unisex list).
    firstNames: [...list(first?.female, []), ...list(first?.male, []), ...list(first?.generic, ['Alex'])],
    lastNames: list(last?.generic, ['Smith']),
    streetSuffixes: list(d.location?.street_suffix, ['Street']),
    streetNames: list(d.location?.street_name, ['Main Street']),
    buildingNumbers: list(d.location?.building_number, ['####']),
    exampleDomains: list(d.internet?.example_email, ['example.com']),
  };
  poolsByLocale.set(locale, pools);
  return pools;
};

const ascii = (name: string): string =>
  name
    .normalize('NFD')
    .replace(/[^A-Za-z]/g, '')
    .toLowerCase();

/** Creation times of generated ObjectIds and ULIDs: 2015 to 2025, drawn (never the clock's). */
const KEY_EPOCH_S = Date.UTC(2015, 0, 1) / 1000;
const KEY_SPAN_S = 10 * 365 * 86_400;

/** Fresh unique keys of the seed's family (`keyFamily` in src/synth/fit.ts); UUIDs v4 by default. */
const uniqueKey = (faker: Faker, family: string | undefined): (() => string) => {
  const seconds = (): number => KEY_EPOCH_S + faker.number.int(KEY_SPAN_S);
  switch (family) {
    case 'UUID':
      return () => faker.string.uuid().toUpperCase();
    case 'uuid-compact':
      return () => faker.string.uuid().replaceAll('-', '');
    case 'UUID-compact':
      return () => faker.string.uuid().replaceAll('-', '').toUpperCase();
    case 'objectid':
      // A MongoDB ObjectId: 4 bytes of creation time in seconds, then 8 random bytes.
      return () =>
        seconds().toString(16).padStart(8, '0') +
        faker.string.hexadecimal({ length: 16, casing: 'lower', prefix: '' });
    case 'ulid':
      return () => faker.string.ulid({ refDate: seconds() * 1000 + faker.number.int(999) });
    default:
      return () => faker.string.uuid();
  }
};

const makeGenerator = (
  faker: Faker,
  semantic: string,
  format: string | undefined,
  locale: string,
): PiiGenerator => {
  const digit = (): number => faker.number.int(9);
  const letter = (): number => faker.number.int(25);
  const p = loadPools(faker, locale);
  const pick = (items: string[]): string => items[faker.number.int(items.length - 1)] as string;
  const firstName = (): string => pick(p.firstNames);
  // As faker's en pattern: one in twenty last names is double-barrelled.
  const lastName = (): string =>
    faker.number.int(19) === 0 ? `${pick(p.lastNames)}-${pick(p.lastNames)}` : pick(p.lastNames);
  switch (semantic) {
    case 'person_name':
      return () => `${firstName()} ${lastName()}`;
    case 'first_name':
      return firstName;
    case 'last_name':
      return lastName;
    case 'email':
      // Example domains (example.com/.net/.org) are reserved: never a real mailbox.
      return () => {
        const local = `${ascii(firstName())}${pick(['.', '_', ''])}${ascii(lastName())}`;
        const suffix = faker.number.int(1) === 0 ? String(faker.number.int(99)) : '';
        return `${local}${suffix}@${pick(p.exampleDomains)}`;
      };
    case 'phone': {
      const shape = format !== undefined && countDigits(format) >= 7 ? format : '(###) ###-####';
      const n = countDigits(shape);
      // NANP: area code and exchange start 2-9; an 11-digit layout leads with country code 1.
      const lead = n === 11 ? 1 : 0;
      return () =>
        fillShape(
          shape,
          (p) => {
            if (lead === 1 && p === 0) return 1;
            if (n >= 10 && (p === lead || p === lead + 3)) return 2 + faker.number.int(7);
            return digit();
          },
          letter,
        );
    }
    case 'ssn': {
      const shape = countDigits(format) === 9 ? (format as string) : '###-##-####';
      return () => {
        let area = 1 + faker.number.int(898);
        if (area === 666) area = 667;
        const digits = `${String(area).padStart(3, '0')}${String(1 + faker.number.int(98)).padStart(2, '0')}${String(1 + faker.number.int(9998)).padStart(4, '0')}`;
        return fillShape(shape, (p) => Number(digits[p]), letter);
      };
    }
    case 'credit_card': {
      const n = countDigits(format);
      const shape = n >= 13 && n <= 19 ? (format as string) : '####-####-####-####';
      const length = countDigits(shape);
      return () => {
        // 15 digits is an Amex layout (34/37); otherwise a Visa-style number.
        const payload = length === 15 ? [3, faker.number.int(1) === 0 ? 4 : 7] : [4];
        while (payload.length < length - 1) payload.push(digit());
        const digits = luhnComplete(payload);
        return fillShape(shape, (p) => digits[p] as number, letter);
      };
    }
    case 'iban': {
      const countryCode = format !== undefined && /^[A-Z]{2}/.test(format) ? format.slice(0, 2) : undefined;
      const formatted = format?.includes(' ') ?? false;
      return () => {
        try {
          return faker.finance.iban({ formatted, countryCode });
        } catch {
          return faker.finance.iban({ formatted });
        }
      };
    }
    case 'ipv4':
      return () => faker.internet.ipv4();
    case 'ipv6':
      return () => faker.internet.ipv6();
    case 'url':
      return () => faker.internet.url();
    case 'uuid':
      return uniqueKey(faker, format);
    case 'free_text_pii':
      // Text that carried identifiers is replaced whole: none of its words are kept.
      return () => faker.lorem.sentence();
    case 'street_address':
      // As faker's en street patterns: '<number> <first or last name> <suffix>' or a listed street name.
      return () => {
        const number = fillShape(
          pick(p.buildingNumbers),
          (i) => (i === 0 ? 1 + faker.number.int(8) : digit()),
          letter,
        );
        const way = faker.number.int(2);
        const street =
          way === 0
            ? `${firstName()} ${pick(p.streetSuffixes)}`
            : way === 1
              ? `${pick(p.lastNames)} ${pick(p.streetSuffixes)}`
              : pick(p.streetNames);
        return `${number} ${street}`;
      };
    case 'postal_code': {
      const shape =
        format !== undefined && countDigits(format) + (format.match(/[Aa]/g) ?? []).length >= 3
          ? format
          : undefined;
      return shape === undefined ? () => faker.location.zipCode() : () => fillShape(shape, digit, letter);
    }
    case 'date_of_birth': {
      const write = dateFormatter(format ?? 'YYYY-MM-DD');
      // An adult: 18 to 85 years old on the reference day.
      const oldest = BIRTH_REFERENCE - 85 * YEAR_MS;
      const span = 67 * YEAR_MS;
      return () =>
        write(Math.floor((oldest + faker.number.float({ min: 0, max: 1 }) * span) / 86_400_000) * 86_400_000);
    }
    default:
      throw new BadInputError(`no fake value generator for semantic type '${semantic}'`);
  }
};

/** The faker locales doppel offers (names as in the dataset spec), each falling back to en. */
const LOCALE_DEFINITIONS: Record<FakerLocale, LocaleDefinition[]> = {
  en_US: [en_US, en],
  en_GB: [en_GB, en],
  en_CA: [en_CA, en],
  en_AU: [en_AU, en],
  de: [de, en],
  fr: [fr, en],
  es: [es, en],
  it: [it, en],
  nl: [nl, en],
  pt_BR: [pt_BR, en],
  sv: [sv, en],
  pl: [pl, en],
};

const definitionsOf = (locale: string): LocaleDefinition[] => {
  const known = LOCALE_DEFINITIONS[locale as FakerLocale];
  if (known === undefined) {
    throw new BadInputError(
      `no fake data for locale '${locale}'; use one of ${FakerLocale.options.join(', ')}`,
    );
  }
  return known;
};

const newFaker = (seed: number, locale: string): Faker => {
  const faker = new Faker({ locale: definitionsOf(locale) });
  faker.seed(seed >>> 0);
  return faker;
};

/** A generator of fake values of one semantic type, drawing from a faker seeded once. */
export const createPiiGenerator = (
  semantic: string,
  seed: number,
  format?: string,
  locale = 'en_US',
): PiiGenerator => makeGenerator(newFaker(seed, locale), semantic, format, locale);

const shared = new Map<string, Faker>();

/** One fake value, a pure function of (semantic, seed, format, locale). */
export const fakeValue = (semantic: string, seed: number, format?: string, locale = 'en_US'): string => {
  let faker = shared.get(locale);
  if (faker === undefined) {
    faker = new Faker({ locale: definitionsOf(locale) });
    shared.set(locale, faker);
  }
  faker.seed(seed >>> 0);
  return makeGenerator(faker, semantic, format, locale)();
};
