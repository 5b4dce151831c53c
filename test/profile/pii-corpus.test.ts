/**
 * A labelled corpus of columns, with PII of every semantic type (helpful names or not, several
 * layouts, nulls and a few invalid values mixed in) and look-alikes without PII (order numbers,
 * SKUs, versions, hashes, cities, products, event dates…). Detection runs on the input the profiler
 * builds (the column's inferred kind and distinct sample), and precision and recall are measured.
 */
import { base, de, en, en_CA, en_GB, en_US, es, Faker, fr } from '@faker-js/faker';
import { beforeAll, describe, expect, it } from 'vitest';
import { SemanticType } from '../../src/contracts.ts';
import { ColumnStats } from '../../src/profile/infer.ts';
import {
  detectSemantic,
  luhn,
  preparePii,
  type SemanticDetection,
  type SemanticInput,
} from '../../src/profile/pii.ts';
import { profileSource } from '../../src/profile/profile-seed.ts';
import { type Cell, toCsv } from '../../src/table.ts';
import { chunked } from '../helpers/byte-stream.ts';

type Label = SemanticType | null;
interface LabelledColumn {
  name: string;
  label: Label;
  values: Cell[];
}

const SEED = 20250611;
const fakers = {
  us: new Faker({ locale: [en_US, en, base] }),
  gb: new Faker({ locale: [en_GB, en, base] }),
  ca: new Faker({ locale: [en_CA, en, base] }),
  de: new Faker({ locale: [de, en, base] }),
  fr: new Faker({ locale: [fr, en, base] }),
  es: new Faker({ locale: [es, en, base] }),
};
for (const [i, f] of Object.values(fakers).entries()) f.seed(SEED + i);
const f = fakers.us;

const int = (min: number, max: number): number => f.number.int({ min, max });
const digits = (n: number): string => Array.from({ length: n }, () => String(int(0, 9))).join('');
const pad = (n: number, width: number): string => String(n).padStart(width, '0');
const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)] as T;

interface Options {
  rows?: number;
  nulls?: number;
  /** Share of values replaced by invalid ones, and how they are written. */
  invalid?: number;
  bad?: () => string;
}

const corpus: LabelledColumn[] = [];
const col = (name: string, label: Label, draw: (i: number) => string, options: Options = {}) => {
  const { rows = 200, nulls = 0, invalid = 0, bad } = options;
  const values: Cell[] = [];
  for (let i = 0; i < rows; i++) {
    const r = f.number.float({ min: 0, max: 1 });
    if (r < nulls) values.push(pick([null, '', 'NA']));
    else if (r < nulls + invalid && bad !== undefined) values.push(bad());
    else values.push(draw(i));
  }
  corpus.push({ name, label, values });
};
const junk = () => pick(['unknown', 'n/a', 'none', '-', 'TBD', 'refused', '0', '12345']);

// --- Hand-made generators for what faker lacks or writes too uniformly.
const ssn = (sep = '-'): string => {
  let area = int(1, 899);
  if (area === 666) area = 665;
  return [pad(area, 3), pad(int(1, 99), 2), pad(int(1, 9999), 4)].join(sep);
};
const invalidSsn = (): string =>
  pick([
    `000-${pad(int(1, 99), 2)}-${digits(4)}`,
    `666-${pad(int(1, 99), 2)}-${digits(4)}`,
    `9${digits(2)}-12-3456`,
  ]);
const luhnFailing = (length: number): string => {
  for (;;) {
    const d = `${int(1, 9)}${digits(length - 1)}`;
    if (!luhn(d)) return d;
  }
};
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ulid = (): string => {
  let t = 1_600_000_000_000 + int(0, 150_000_000_000);
  let time = '';
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  return time + Array.from({ length: 16 }, () => pick([...CROCKFORD])).join('');
};
const objectId = (): string =>
  (1_400_000_000 + int(0, 300_000_000)).toString(16).padStart(8, '0') +
  f.string.hexadecimal({ length: 16, casing: 'lower', prefix: '' });
/** A British postcode as Royal Mail writes them (faker's en_GB ones often break the inward code's rules). */
const ukPostcode = (): string => {
  const area = pick(['SW', 'EC', 'N', 'M', 'B', 'LS', 'G', 'EH', 'CF', 'BS', 'NE', 'L', 'OX', 'CB', 'BT']);
  const district = pick([String(int(1, 20)), `${int(1, 9)}${pick(['A', 'B', 'W'])}`]);
  const inward = `${int(0, 9)}${pick([...'ABDEFGHJLNPQRSTUWXYZ'])}${pick([...'ABDEFGHJLNPQRSTUWXYZ'])}`;
  return `${area}${district} ${inward}`;
};
const isoDate = (d: Date): string => d.toISOString().slice(0, 10);
const dateBetween = (from: string, to: string): Date => f.date.between({ from, to });
const birth = (): Date => f.date.birthdate({ min: 18, max: 90, mode: 'age', refDate: '2025-01-01' });
/** Names from places faker's lists cover thinly, written by hand. */
const WORLD_NAMES = (
  'Wei Zhang|Li Na|Xiaoming Chen|Hiroshi Tanaka|Yuki Sato|Min-jun Kim|Ji-woo Park|Nguyen Van An|Tran Thi Mai|' +
  'Chinedu Okafor|Ngozi Adeyemi|Kwame Mensah|Amara Diallo|Oluwaseun Bello|Fatima Al-Sayed|Omar Haddad|' +
  'Layla Nasser|Yusuf Demir|Elif Yilmaz|Arjun Mehta|Priya Raman|Rahul Verma|Ananya Iyer|Siddharth Rao|' +
  'Dmitri Volkov|Olga Petrova|Sergei Ivanov|Katarzyna Nowak|Tomasz Lewandowski|Aino Virtanen|Mikko Korhonen|' +
  'Sven Lindqvist|Ingrid Berg|Giulia Romano|Matteo Ricci|Sofia Costa|João Silva|Mariana Souza|Diego Hernández|' +
  'Lucía Fernández|Mateo Gómez|Aroha Ngata|Tane Walker|Kalani Akana|Malia Fonoti|Sione Taufa|Anh Le|Bao Pham|' +
  'Thabo Nkosi|Zanele Dlamini|Abebe Bekele|Hana Tesfaye|Noa Cohen|Avi Levi|Reza Tehrani|Shirin Ahmadi|' +
  'Hamid Karimi|Aisha Khan|Bilal Qureshi|Sana Malik'
).split('|');
const SENTENCE_PARTS = [
  'Customer asked about the delivery window',
  'Left a voicemail, will try again tomorrow',
  'Prefers contact in the afternoon',
  'Requested an invoice copy for March',
  'Upgraded to the premium plan',
  'Order arrived damaged, replacement sent',
  'Follow up after the renewal',
  'Asked to be removed from the newsletter',
];
const note = (pii: () => string, share: number): string => {
  const base = `${pick(SENTENCE_PARTS)}. ${f.lorem.sentence()}`;
  return f.number.float({ min: 0, max: 1 }) < share ? `${base} ${pii()}` : base;
};
const phoneUs = (): string => f.phone.number({ style: 'human' });

// --- Emails
col('email', 'email', () => f.internet.email());
col('contact_email', 'email', () => f.internet.email(), { nulls: 0.2, invalid: 0.05, bad: junk });
col('c7', 'email', () => f.internet.email().toUpperCase());
col('login', 'email', () => fakers.de.internet.email());
col('Work E-Mail', 'email', () => f.internet.exampleEmail(), { rows: 40 });
col('recipient', 'email', () => f.internet.email({ provider: 'corp.example.org' }));
col('to', 'email', () => `${f.person.fullName()} <${f.internet.email()}>`);

// --- Phones
col('phone', 'phone', phoneUs);
col('mobile', 'phone', () => f.phone.number({ style: 'international' }));
col('col_b', 'phone', () => f.phone.number({ style: 'national' }));
col('telephone', 'phone', () => fakers.gb.phone.number({ style: 'national' }));
col('tel', 'phone', () => fakers.de.phone.number({ style: 'international' }));
col('phone_number', 'phone', () => fakers.fr.phone.number({ style: 'national' }));
col('msisdn', 'phone', () => f.phone.number({ style: 'international' }).slice(1));
col('x2', 'phone', () => pick(Object.values(fakers)).phone.number({ style: 'international' }));
col('Phone', 'phone', phoneUs, { nulls: 0.3, invalid: 0.05, bad: junk });
col('cell', 'phone', () => `${int(2, 9)}${digits(2)}-${int(2, 9)}${digits(2)}-${digits(4)}`);

// --- US social security numbers
col('ssn', 'ssn', () => ssn());
col('social_security_number', 'ssn', () => ssn(''));
col('tax_ref', 'ssn', () => ssn());
col('SSN', 'ssn', () => ssn(), { nulls: 0.1, invalid: 0.05, bad: invalidSsn });
col('ss_no', 'ssn', () => ssn(' '));

// --- Payment cards
col('card_number', 'credit_card', () => f.finance.creditCardNumber());
col('cc', 'credit_card', () => f.finance.creditCardNumber('visa'));
col('payment', 'credit_card', () => f.finance.creditCardNumber('mastercard').replace(/-/g, ''));
col('pan', 'credit_card', () => f.finance.creditCardNumber('amex'));
col('credit_card', 'credit_card', () => f.finance.creditCardNumber(), {
  nulls: 0.15,
  invalid: 0.05,
  bad: () => luhnFailing(16),
});
col('instrument', 'credit_card', () => f.finance.creditCardNumber('discover').replace(/-/g, ' '));

// --- IBANs
col('iban', 'iban', () => f.finance.iban());
col('account', 'iban', () => f.finance.iban({ formatted: true }));
col('acct_ref', 'iban', () => fakers.de.finance.iban({ countryCode: pick(['DE', 'FR', 'GB', 'NL', 'ES']) }));
col('IBAN', 'iban', () => f.finance.iban(), { nulls: 0.2, invalid: 0.03, bad: junk });

// --- IP addresses
col('ip_address', 'ipv4', () => f.internet.ipv4());
col('client', 'ipv4', () => f.internet.ipv4());
col('src_ip', 'ipv4', () =>
  pick([`10.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}`, `192.168.${int(0, 9)}.${int(1, 254)}`]),
);
col('remote_addr', 'ipv4', () => f.internet.ipv4(), { nulls: 0.25 });
col('peer_host', 'ipv4', () => `${f.internet.ipv4()}:${f.internet.port()}`);
col('ipv6', 'ipv6', () => f.internet.ipv6());
col('peer', 'ipv6', () => f.internet.ipv6());
col('addr6', 'ipv6', () => `2001:db8:${int(0, 0xffff).toString(16)}::${int(1, 0xffff).toString(16)}`);

// --- URLs
col('website', 'url', () => f.internet.url());
col('homepage', 'url', () => f.internet.domainName());
col('ref', 'url', () => `${f.internet.url({ appendSlash: true })}${f.lorem.slug(2)}?id=${int(1, 9999)}`);
col('link', 'url', () => f.internet.url(), { nulls: 0.3 });
col('profile', 'url', () => `www.${f.internet.domainName()}/${f.internet.username()}`);

// --- Postal codes
col('zip', 'postal_code', () => f.location.zipCode());
col('postal_code', 'postal_code', () => fakers.ca.location.zipCode());
col('postcode', 'postal_code', () => fakers.gb.location.zipCode());
col('plz', 'postal_code', () => fakers.de.location.zipCode());
col('code_postal', 'postal_code', () => fakers.fr.location.zipCode());
col('pc', 'postal_code', ukPostcode);
col('zip_code', 'postal_code', () => f.location.zipCode('#####'), { nulls: 0.1 });
col('ZIP', 'postal_code', () => f.location.zipCode('#####-####'), { invalid: 0.03, bad: junk });
// Honestly ambiguous: 5 digits under an uninformative name look like any code.
col('area', 'postal_code', () => f.location.zipCode('#####'));

// --- Person names
col('name', 'person_name', () => f.person.fullName());
col('customer_name', 'person_name', () => `${f.person.firstName()} ${f.person.lastName()}`);
col('col_4', 'person_name', () => `${f.person.firstName()} ${f.person.lastName()}`);
col('full_name', 'person_name', () => fakers.de.person.fullName());
col('author', 'person_name', () => `${fakers.fr.person.firstName()} ${fakers.fr.person.lastName()}`);
col('contact', 'person_name', () => `${f.person.lastName()}, ${f.person.firstName()}`);
col('employee_name', 'person_name', () => f.person.fullName().toUpperCase());
col('patient_name', 'person_name', () => pick(WORLD_NAMES), { rows: 120 });
col('beneficiary', 'person_name', (i) =>
  i % 2 === 0 ? pick(WORLD_NAMES) : `${fakers.es.person.firstName()} ${fakers.es.person.lastName()}`,
);
col('Name', 'person_name', () => f.person.fullName(), { nulls: 0.2, invalid: 0.05, bad: junk });
col('customer', 'person_name', () => `${f.person.firstName()} ${f.person.lastName()}`.toLowerCase());
col('holder', 'person_name', () => `${f.person.firstName()} ${f.person.middleName()} ${f.person.lastName()}`);

// --- Given and family names
col('first_name', 'first_name', () => f.person.firstName());
col('given_name', 'first_name', () => fakers.fr.person.firstName());
col('fname', 'first_name', () => fakers.de.person.firstName(), { nulls: 0.1 });
col('c_1', 'first_name', () => f.person.firstName());
col('last_name', 'last_name', () => f.person.lastName());
col('surname', 'last_name', () => fakers.de.person.lastName());
col('family_name', 'last_name', () => fakers.es.person.lastName(), { nulls: 0.1, invalid: 0.03, bad: junk });
col('c_2', 'last_name', () => f.person.lastName());

// --- Street addresses
col('address', 'street_address', () => f.location.streetAddress());
col('street', 'street_address', () => f.location.streetAddress(true));
col('addr_line_1', 'street_address', () => fakers.gb.location.streetAddress());
col(
  'location',
  'street_address',
  () =>
    `${f.location.streetAddress()}, ${f.location.city()}, ${f.location.state({ abbreviated: true })} ${f.location.zipCode()}`,
);
col('adresse', 'street_address', () => fakers.fr.location.streetAddress());
col('anschrift', 'street_address', () => fakers.de.location.streetAddress());
col('home_address', 'street_address', () => f.location.streetAddress(), { nulls: 0.2 });

// --- Dates of birth
col('dob', 'date_of_birth', () => isoDate(birth()));
col('birth_date', 'date_of_birth', () => {
  const d = birth();
  return `${pad(d.getUTCMonth() + 1, 2)}/${pad(d.getUTCDate(), 2)}/${d.getUTCFullYear()}`;
});
col('date_of_birth', 'date_of_birth', () => {
  const d = birth();
  return `${pad(d.getUTCDate(), 2)}/${pad(d.getUTCMonth() + 1, 2)}/${d.getUTCFullYear()}`;
});
col('bday', 'date_of_birth', () => isoDate(birth()).replaceAll('-', ''));
col('d', 'date_of_birth', () => isoDate(birth()));
col('BirthDate', 'date_of_birth', () => isoDate(birth()), { nulls: 0.15 });

// --- UUIDs and other unique keys
col('id', 'uuid', () => f.string.uuid());
col('session', 'uuid', () => f.string.uuid().toUpperCase());
col('guid', 'uuid', () => `{${f.string.uuid()}}`);
col('token', 'uuid', () => f.string.uuid().replaceAll('-', ''));
col('ulid', 'uuid', ulid);
col('_id', 'uuid', objectId);
col('request', 'uuid', () => f.string.uuid(), { nulls: 0.1 });

// --- Free text carrying PII
col('notes', 'free_text_pii', () => note(() => `Reach me at ${f.internet.email()}.`, 0.15));
col('comments', 'free_text_pii', () => note(() => `Call back on ${phoneUs()}`, 0.1));
col('message', 'free_text_pii', () =>
  note(() => pick([`SSN on file ${ssn()}`, `card ${f.finance.creditCardNumber('visa')}`]), 0.08),
);
col('body', 'free_text_pii', () =>
  note(() => pick([f.internet.email(), f.phone.number({ style: 'international' })]), 0.2),
);
col('feedback', 'free_text_pii', () => note(() => `(${f.internet.email()})`, 0.1), { nulls: 0.3 });

// --- Look-alikes without PII
col('order_number', null, () => String(int(100_000_000, 999_999_999)));
col('order_no', null, () => `${int(100, 999)}${int(100_000, 999_999)}`);
col('tracking', null, () => luhnFailing(16));
col('reference', null, () => luhnFailing(16).replace(/(\d{4})(?=\d)/g, '$1-'));
col('ean', null, () => `${pick(['400', '500', '690', '760'])}${digits(10)}`);
col('sku', null, () => pad(int(10_000, 99_999), 5));
col('product_code', null, () => pad(int(0, 99_999), 5));
col('item', null, () => pad(int(0, 99_999), 5));
col('version', null, () => `${int(0, 9)}.${int(0, 20)}.${int(0, 30)}.${int(0, 200)}`);
col('v', null, () => `${int(1, 4)}.${int(0, 12)}.${int(0, 9)}.${int(0, 40)}`);
col('md5', null, () => f.string.hexadecimal({ length: 32, casing: 'lower', prefix: '' }));
col('sha1', null, () => f.string.hexadecimal({ length: 40, casing: 'lower', prefix: '' }));
col('sha256', null, () => f.string.hexadecimal({ length: 64, casing: 'lower', prefix: '' }));
col('commit', null, () => f.git.commitSha({ length: 7 }));
col('checksum', null, () => f.string.hexadecimal({ length: 24, casing: 'lower', prefix: '' }));
col('hash', null, () => f.string.hexadecimal({ length: 32, casing: 'upper', prefix: '' }));
col('city', null, () => f.location.city());
col('ort', null, () => fakers.de.location.city());
col('place', null, () => fakers.fr.location.city());
col('company', null, () => f.company.name());
col('employer', null, () => fakers.de.company.name());
col('name', null, () => f.commerce.productName());
col('product_name', null, () => f.commerce.productName());
col('product', null, () => `${f.commerce.productAdjective()} ${f.commerce.product()}`);
col('title', null, () => f.book.title());
col('country', null, () => f.location.countryCode());
col('country_name', null, () => f.location.country());
col('state', null, () => f.location.state({ abbreviated: true }));
col('region', null, () => f.location.state());
col('created_at', null, () => f.date.recent({ days: 400, refDate: '2025-01-01' }).toISOString());
col('order_date', null, () => isoDate(dateBetween('2022-01-01', '2024-12-31')));
col('hire_date', null, () => isoDate(dateBetween('1988-01-01', '2024-12-31')));
col('ship_date', null, () => {
  const d = dateBetween('2023-01-01', '2024-12-31');
  return `${pad(d.getUTCMonth() + 1, 2)}/${pad(d.getUTCDate(), 2)}/${d.getUTCFullYear()}`;
});
col('event_day', null, () => isoDate(dateBetween('2024-01-01', '2024-12-31')).replaceAll('-', ''));
col('price', null, () => f.commerce.price());
col('amount', null, () => String(f.number.float({ min: 0, max: 1e6, fractionDigits: 2 })));
col('lat', null, () => String(f.location.latitude()));
col('weight', null, () => String(f.number.float({ min: 0, max: 1, fractionDigits: 16 })));
col('quantity', null, () => String(int(1, 50)));
col('age', null, () => String(int(18, 90)));
col('year', null, () => String(int(1950, 2024)));
col('amount_cents', null, () => String(int(1_000_000_000, 9_999_999_999)));
col('timestamp_ms', null, () => String(int(1_600_000_000_000, 1_750_000_000_000)));
col('port', null, () => String(int(1024, 65535)));
col('is_active', null, () => pick(['true', 'false']));
col('flag', null, () => pick(['Y', 'N']));
col('status', null, () => pick(['active', 'pending', 'closed', 'suspended']));
col('tier', null, () => pick(['Gold', 'Silver', 'Bronze', 'Platinum']));
col('color', null, () => f.color.human());
col('department', null, () => f.commerce.department());
col('job_title', null, () => f.person.jobTitle());
col('description', null, () => f.lorem.sentence());
col('review', null, () => f.commerce.productDescription());
col(
  'comment',
  null,
  () => `${pick(SENTENCE_PARTS)}. Order ${int(100_000_000, 999_999_999)} ships in ${int(2, 9)} days.`,
);
col(
  'shipping_note',
  null,
  () => `Tracking ${digits(16)} via ${pick(['UPS', 'FedEx', 'DHL'])}, ${f.lorem.sentence()}`,
);
col(
  'log_line',
  null,
  () =>
    `${f.date.recent({ refDate: '2025-01-01' }).toISOString()} GET /item/${int(1, 999)} ${int(200, 504)} ${int(1, 900)}ms`,
);
col('summary', null, () => f.lorem.paragraph());
col('user_agent', null, () => f.internet.userAgent());
col('file_path', null, () => f.system.filePath());
col('mac', null, () => f.internet.mac());
col('isbn', null, () => f.commerce.isbn());
col('currency', null, () => f.finance.currencyCode());
col('duration', null, () => `${pad(int(0, 23), 2)}:${pad(int(0, 59), 2)}:${pad(int(0, 59), 2)}`);
col('coordinates', null, () => `${f.location.latitude()}, ${f.location.longitude()}`);
col('percent', null, () => `${f.number.float({ min: 0, max: 100, fractionDigits: 1 })}%`);
col('username', null, () => f.internet.username());
col('phone_model', null, () => `${pick(['iPhone', 'Pixel', 'Galaxy S'])} ${int(5, 16)}`);
col('zip_file', null, () => f.system.commonFileName('zip'));
col('account_type', null, () => f.finance.accountName());
col('word', null, () => f.word.noun());
col('animal', null, () => f.animal.type());
col('tag', null, () => f.hacker.noun());
col('semver', null, () => f.system.semver());
col('order_ref', null, () => `ORD-${digits(9)}`);
col('invoice', null, () => `INV-${int(2019, 2024)}-${pad(int(1, 99_999), 5)}`);
col('imei', null, () => {
  for (;;) {
    const d = `${pick(['35', '86', '01', '99'])}${digits(13)}`;
    if (luhn(d)) return d;
  }
});
col('upc', null, () => digits(12));
col('bic', null, () => f.finance.bic());
col('handle', null, () => `@${f.internet.username()}`);
col('endpoint', null, () => `/api/v${int(1, 3)}/${f.word.noun()}/${int(1, 9999)}`);
col('delta', null, () => `+${int(10_000, 99_999_999)}`);
col('serial', null, () => `SN-${f.string.alphanumeric({ length: 10, casing: 'upper' })}`);
col('founded', null, () => isoDate(dateBetween('1850-01-01', '2020-12-31')));
col('team', null, () => `${f.location.city()} ${pick(['Tigers', 'Rovers', 'United', 'Hawks', 'Giants'])}`);
col('name', null, () => f.location.city());
col('name', null, () => f.company.name());
col('bank_account', null, () => f.finance.accountNumber(10));
col('gtin', null, () => `0${digits(13)}`);
col('ratio', null, () => String(f.number.float({ min: -5, max: 5, fractionDigits: 3 })));
col('count', null, () => String(int(0, 1_000_000)));
// Columns named for a person's role: names that repeat (a director of many films) are still names;
// teams and tools under a role's name are not.
const DIRECTORS = Array.from({ length: 40 }, () => f.person.fullName());
col('Director', 'person_name', () => pick(DIRECTORS), { nulls: 0.3 });
col('lead_actor', 'person_name', () => `${fakers.fr.person.firstName()} ${fakers.fr.person.lastName()}`);
col('manager', null, () => `Team ${pick(['North', 'South', 'East', 'West', 'Central', 'Online', 'Retail'])}`);
col('editor', null, () => pick(['vim', 'emacs', 'nano', 'VS Code', 'Sublime Text', 'Notepad++']));
// Free text naming people (a given name, then a family name); headlines and streets do not.
col('call_log', 'free_text_pii', () =>
  note(() => `Spoke with ${f.person.firstName()} ${f.person.lastName()} about the refund`, 0.3),
);
col('case_notes', 'free_text_pii', () =>
  note(
    () =>
      `${pick(['Dr.', 'Ms.', 'Mr.'])} ${fakers.de.person.firstName()} ${fakers.de.person.lastName()} was told`,
    0.2,
  ),
);
col(
  'headline',
  null,
  () => `${f.company.name()} ${pick(['opens', 'reports', 'buys'])} ${f.commerce.productName()}`,
);
col('route', null, () => `Via ${f.location.street()} to ${f.location.city()}`);

/** The input the profiler hands detectSemantic: inferred kind and distinct sample (see profile-seed). */
const inputOf = (column: LabelledColumn): SemanticInput => {
  const stats = new ColumnStats(column.name);
  for (const v of column.values) stats.add(v);
  const inferred = stats.infer();
  const summary = stats.detectionSample(inferred);
  return {
    name: column.name,
    kind: inferred.kind,
    values: summary.sample,
    distinctRatio: summary.count > 0 ? summary.distinct / summary.count : 0,
  };
};

interface Outcome {
  column: LabelledColumn;
  input: SemanticInput;
  detection: SemanticDetection | undefined;
}

// The name lexicon loads once, before any detection.
beforeAll(() => preparePii());

describe('semantic detection on a labelled corpus', async () => {
  // Prepare (shared): the name lexicon, every column's profiler input, and one detection each, timed.
  await preparePii();
  const inputs = corpus.map(inputOf);
  const started = performance.now();
  const outcomes: Outcome[] = corpus.map((column, i) => ({
    column,
    input: inputs[i]!,
    detection: detectSemantic(inputs[i]!),
  }));
  const elapsed = performance.now() - started;

  it('is large and covers every semantic type with and without PII', () => {
    // Assess
    const labels = new Set(corpus.map((c) => c.label));
    expect(corpus.length).toBeGreaterThanOrEqual(150);
    expect(corpus.filter((c) => c.label === null).length).toBeGreaterThanOrEqual(60);
    // Every semantic type the profiler knows has columns in the corpus.
    for (const type of SemanticType.options) expect(labels.has(type), type).toBe(true);
  });

  it('finds PII with precision and recall of at least 0.95', () => {
    // Act
    const types = [...new Set(corpus.map((c) => c.label).filter((l): l is SemanticType => l !== null))];
    const rows = types.map((type) => {
      const tp = outcomes.filter((o) => o.column.label === type && o.detection?.type === type).length;
      const fp = outcomes.filter((o) => o.column.label !== type && o.detection?.type === type).length;
      const fn = outcomes.filter((o) => o.column.label === type && o.detection?.type !== type).length;
      return { type, columns: tp + fn, tp, fp, fn };
    });
    const detected = outcomes.filter((o) => o.detection !== undefined).length;
    const correct = outcomes.filter(
      (o) => o.detection !== undefined && o.detection.type === o.column.label,
    ).length;
    const labelled = outcomes.filter((o) => o.column.label !== null).length;
    const precision = correct / detected;
    const recall = correct / labelled;
    const misses = outcomes
      .filter((o) => (o.detection?.type ?? null) !== o.column.label)
      .map(
        (o) =>
          `${o.column.name} (${o.input.kind}): labelled ${o.column.label}, detected ${o.detection?.type}`,
      );
    const ratio = (a: number, b: number) => (b === 0 ? '-' : (a / b).toFixed(2));
    console.log(
      `PII corpus: ${corpus.length} columns (${labelled} with PII), ` +
        `detection ${(elapsed / corpus.length).toFixed(2)} ms per column\n` +
        'type             columns  precision  recall\n' +
        rows
          .map(
            (r) =>
              `${r.type.padEnd(16)} ${String(r.columns).padStart(7)}  ${ratio(r.tp, r.tp + r.fp).padStart(9)}  ${ratio(r.tp, r.tp + r.fn).padStart(6)}`,
          )
          .join('\n') +
        `\n${'overall'.padEnd(16)} ${String(labelled).padStart(7)}  ${precision.toFixed(2).padStart(9)}  ${recall.toFixed(2).padStart(6)}` +
        (misses.length === 0 ? '' : `\nmisses:\n  ${misses.join('\n  ')}`),
    );

    // Assess
    expect(precision).toBeGreaterThanOrEqual(0.95);
    expect(recall).toBeGreaterThanOrEqual(0.95);
  });

  it('gives every detection a confidence and evidence that quotes no value', () => {
    // Assess
    for (const { column, input, detection } of outcomes) {
      if (detection === undefined) continue;
      expect(detection.confidence, column.name).toBeGreaterThan(0);
      expect(detection.confidence, column.name).toBeLessThanOrEqual(1);
      expect(detection.evidence, column.name).toMatch(/sampled values/);
      const quoted = input.values.filter((v) => v.length >= 5 && detection.evidence.includes(v));
      expect(quoted, column.name).toEqual([]);
    }
  });
});

describe('semantic detection through profileSource', () => {
  it('labels PII columns of a seed file and leaves their look-alikes alone', async () => {
    // Prepare
    const pick = (name: string, label: Label) => corpus.find((c) => c.name === name && c.label === label)!;
    const chosen = [
      pick('email', 'email'),
      pick('Phone', 'phone'),
      pick('notes', 'free_text_pii'),
      pick('order_number', null),
      pick('sku', null),
      pick('version', null),
      pick('dob', 'date_of_birth'),
      pick('order_date', null),
    ];
    const rows = Array.from({ length: 200 }, (_, r) => chosen.map((c) => c.values[r] ?? null));
    const csv = toCsv({ columns: chosen.map((c) => c.name), rows });

    // Act
    const { profile } = await profileSource(chunked(csv, 4096), 'people.csv', { seed: 5 });

    // Assess
    const found = Object.fromEntries(profile.columns.map((c) => [c.name, c.semantic?.type ?? null]));
    expect(found).toEqual(Object.fromEntries(chosen.map((c) => [c.name, c.label])));
    const email = profile.columns.find((c) => c.name === 'email')!;
    expect(email.semantic?.evidence).toMatch(/^100% of 200 sampled values are valid email addresses/);
    expect(email.top).toEqual([]);
  });
});
