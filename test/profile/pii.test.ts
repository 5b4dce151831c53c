import { beforeAll, describe, expect, it } from 'vitest';
import {
  cardValid,
  detectSemantic,
  ibanValid,
  luhn,
  parseName,
  phoneLike,
  phoneValid,
  preparePii,
  ssnValid,
} from '../../src/profile/pii.ts';

const detect = (name: string, values: string[], kind: 'text' | 'integer' | 'categorical' | 'date' = 'text') =>
  detectSemantic({ name, kind, values, distinctRatio: 1 })?.type;
/** n values from a formula, for detectors that want many distinct values. */
const many = (n: number, make: (i: number) => string): string[] =>
  Array.from({ length: n }, (_, i) => make(i));

// The name lexicon loads once, before any detection.
beforeAll(() => preparePii());

describe('validators', () => {
  it('checks card numbers with Luhn, IBANs with mod-97 and SSNs against the invalid ranges', () => {
    // Assess
    expect(luhn('4111111111111111')).toBe(true);
    expect(luhn('4111111111111112')).toBe(false);
    expect(ibanValid('GB82 WEST 1234 5698 7654 32')).toBe(true);
    expect(ibanValid('GB82 WEST 1234 5698 7654 33')).toBe(false);
    expect(ssnValid('123', '45', '6789')).toBe(true);
    for (const [area, group, serial] of [
      ['000', '45', '6789'],
      ['666', '45', '6789'],
      ['912', '45', '6789'],
      ['123', '00', '6789'],
      ['123', '45', '0000'],
    ] as const) {
      expect(ssnValid(area, group, serial), `${area}-${group}-${serial}`).toBe(false);
    }
  });

  it('checks card issuers and lengths, so Luhn-valid IMEIs are not cards', () => {
    // Assess
    expect(cardValid('378282246310005')).toBe(true); // Amex, 15 digits
    expect(cardValid('4111111111111111')).toBe(true);
    expect(cardValid('353456789012348')).toBe(false); // 15 digits under JCB's 35: an IMEI
    expect(cardValid('990000862471854')).toBe(false); // Luhn-valid, no issuer
  });

  it('validates phone numbers by numbering plan, with and without a country code', () => {
    // Assess
    expect(phoneValid('(212) 555-0100', false)).toBe(true);
    expect(phoneValid('+1 415.555.0199', false)).toBe(true);
    expect(phoneValid('+44 20 7946 0958', false)).toBe(true);
    expect(phoneValid('0044 20 7946 0958', false)).toBe(true);
    expect(phoneValid('(123) 555-0100', false)).toBe(false); // NANP area codes start 2-9
    expect(phoneValid('+44 20 79', false)).toBe(false);
    // National layouts of other countries and bare digits need a hinting column name.
    expect(phoneValid('020 7946 0958', false)).toBe(false);
    expect(phoneValid('020 7946 0958', true)).toBe(true);
    expect(phoneValid('4155550100', false)).toBe(false);
    expect(phoneValid('4155550100', true)).toBe(true);
  });

  it('reads names in several layouts and rejects companies', () => {
    // Assess
    expect(parseName('Dr. Ann Lee Jr.')).toMatchObject({ given: 'ann', family: 'lee' });
    expect(parseName('Lee, Ann')).toMatchObject({ given: 'ann', family: 'lee' });
    expect(parseName('ANN VAN DER BERG')).toMatchObject({ given: 'ann', family: 'berg' });
    expect(parseName('Chloé de la Tour')).toMatchObject({ given: 'chloe', family: 'tour' });
    expect(parseName('Osinski, Jenkins and Mueller')).toBeUndefined();
    expect(parseName('Lowe and Sons')).toBeUndefined();
    expect(parseName('Ann')).toBeUndefined();
  });
});

describe('detectSemantic', () => {
  it('recognizes each type by content alone', () => {
    // Assess
    expect(detect('a', ['ann@example.com', 'bo.li@mail.co.uk', 'x+y@z.io'])).toBe('email');
    expect(detect('a', ['(212) 555-0100', '+1 415.555.0199', '646-555-0123'])).toBe('phone');
    expect(detect('a', ['+44 20 7946 0958', '+49 30 901820', '+33 1 42 68 53 00'])).toBe('phone');
    expect(detect('a', ['123-45-6789', '234-56-7890', '345-67-8901'])).toBe('ssn');
    expect(detect('a', ['4111 1111 1111 1111', '5500-0000-0000-0004', '340000000000009'])).toBe(
      'credit_card',
    );
    expect(detect('a', ['GB82WEST12345698765432', 'DE89 3704 0044 0532 0130 00'])).toBe('iban');
    expect(detect('a', ['10.0.0.1', '192.168.1.20', '8.8.8.8'])).toBe('ipv4');
    expect(detect('a', ['2001:db8::1', 'fe80::1ff:fe23:4567:890a', '::1'])).toBe('ipv6');
    expect(detect('a', ['https://example.com/a?b=1', 'http://x.org', 'https://a.b.c/d'])).toBe('url');
    expect(
      detect('a', ['123e4567-e89b-12d3-a456-426614174000', '00000000-0000-4000-8000-000000000000']),
    ).toBe('uuid');
    expect(
      detect('a', ['Ann Lee', 'Bob de Vries'.replace('de', 'De'), "Mary O'Neil", 'Jean-Luc Picard']),
    ).toBe('person_name');
    expect(detect('a', ['12 Oak Street', '4 Elm Ave.', '901 W 5th Avenue Apt 3', '77 Mill Road'])).toBe(
      'street_address',
    );
  });

  it('needs the column name for ambiguous content, and says so in the evidence', () => {
    // Assess
    expect(detect('zip', ['02134', '94105', '10001-1234'])).toBe('postal_code');
    expect(detect('code', ['02134', '94105', '10001-1234'])).toBeUndefined();
    expect(detect('first_name', ['Ann', 'Bob', 'Chloé'])).toBe('first_name');
    expect(detect('surname', ['Lee', 'Ng', 'Smith-Jones'])).toBe('last_name');
    expect(detect('label', ['Ann', 'Bob', 'Chloé'])).toBeUndefined();
    expect(detect('mobile', ['4155550100', '2125550123'], 'integer')).toBe('phone');
    expect(detect('amount', ['4155550100', '2125550123'], 'integer')).toBeUndefined();
    expect(detect('dob', [], 'date')).toBe('date_of_birth');
    expect(detect('signup_date', [], 'date')).toBeUndefined();
    const half = ['a@b.co', 'c@d.co', 'nope', 'none'];
    expect(detect('contact_email', half)).toBe('email');
    // Without the hint half is too few to call the column emails, but the column still carries them.
    expect(detect('contact', half)).toBe('free_text_pii');
    expect(
      detectSemantic({ name: 'contact_email', kind: 'text', values: half, distinctRatio: 1 })?.evidence,
    ).toBe('50% of 4 sampled values are valid email addresses; column name hints email');
  });

  it('rejects invalid look-alikes: SSN ranges, Luhn failures, bad octets', () => {
    // Assess
    expect(detect('a', ['000-12-3456', '666-12-3456', '900-12-3456', '123-00-4567'])).toBeUndefined();
    expect(detect('a', ['4111111111111112', '5500000000000005', '4012888888881882'])).toBeUndefined();
    expect(detect('a', ['300.1.1.1', '1.2.3', '999.0.0.1'])).toBeUndefined();
  });
});

describe('detectSemantic on look-alikes and free text', () => {
  it('tells unique keys from hashes, and addresses from version strings', () => {
    // Prepare
    const hex = (i: number, length: number) =>
      (BigInt(i + 1) * 0x9e3779b97f4a7c15n).toString(16).padStart(length, '0').slice(-length);

    // Assess
    expect(
      detect(
        'a',
        many(50, (i) => `${hex(i, 12)}4${hex(i + 7, 3)}a${hex(i + 3, 15)}`),
      ),
    ).toBe('uuid');
    expect(
      detect(
        'a',
        many(
          50,
          (i) =>
            `01J${hex(i, 23)
              .toUpperCase()
              .replace(/[^0-9A-F]/g, '0')}`,
        ),
      ),
    ).toBe('uuid');
    expect(
      detect(
        'a',
        many(50, (i) => `6${hex(i, 7)}${hex(i + 9, 16)}`),
      ),
    ).toBe('uuid'); // ObjectId, 2021
    expect(
      detect(
        'a',
        many(50, (i) => `f${hex(i, 31)}`),
      ),
    ).toBeUndefined(); // md5-like
    expect(
      detect(
        'a',
        many(50, (i) => `${i % 4}.${i % 11}.${i % 7}.${i}`),
      ),
    ).toBeUndefined();
    expect(
      detect(
        'a',
        many(50, (i) => `${40 + i}.${(i * 37) % 256}.${(i * 91) % 256}.${i + 1}`),
      ),
    ).toBe('ipv4');
  });

  it('takes dates for births only when their years span decades or the name says so', () => {
    // Prepare
    const births = many(60, (i) => `${1940 + (i % 60)}-0${1 + (i % 9)}-1${i % 10}`);
    const orders = many(60, (i) => `${2022 + (i % 3)}-0${1 + (i % 9)}-1${i % 10}`);

    // Assess
    expect(detect('d', births, 'date')).toBe('date_of_birth');
    expect(detect('hire_date', births, 'date')).toBeUndefined();
    expect(detect('d', orders, 'date')).toBeUndefined();
    expect(detect('birthday', orders, 'date')).toBe('date_of_birth');
  });

  it('flags free text that embeds identifiers, saying which kinds and quoting none', () => {
    // Prepare
    const notes = many(100, (i) =>
      i % 10 === 0
        ? `Asked for a call back, reach her at ann.lee${i}@example.com`
        : `Follow-up number ${i} done.`,
    );
    const tracking = many(100, (i) => `Tracking ${String(1234567890123456 + i * 7919)} via DHL`);

    // Act
    const detection = detectSemantic({ name: 'notes', kind: 'text', values: notes, distinctRatio: 1 });

    // Assess
    expect(detection).toEqual({
      type: 'free_text_pii',
      confidence: 0.7,
      evidence: '10% of 100 sampled values embed email addresses',
    });
    expect(detect('notes', tracking)).toBeUndefined();
  });

  it('takes text that names people (a given name, then a family name) as free text with PII', () => {
    // Prepare: call notes, a fifth of them naming the customer; film titles that name someone now and then
    const people = ['Maria Garcia', 'James Miller', 'Sofia Rossi', 'Ahmed Khan', 'Anna Schmidt'];
    const calls = many(100, (i) =>
      i % 5 === 0
        ? `Spoke with ${people[(i % 7) % 5]} about the refund`
        : `Refund ${i} approved, no call needed`,
    );
    const titles = many(100, (i) =>
      i === 10
        ? 'Jerry Maguire'
        : i === 20
          ? 'Annie Hall'
          : `The ${['Long', 'Green', 'Last', 'Lost'][i % 4]} Road ${i}`,
    );

    // Act
    const detection = detectSemantic({ name: 'call_log', kind: 'text', values: calls, distinctRatio: 1 });

    // Assess: the evidence names the kind of value, never a value
    expect(detection).toMatchObject({
      type: 'free_text_pii',
      evidence: "20% of 100 sampled values embed people's names",
    });
    expect(detection?.evidence).not.toMatch(/Garcia|Miller/);
    // two titles in a hundred that name someone are titles, not text about people
    expect(detect('title', titles)).toBeUndefined();
    // places, companies and streets are capitalized pairs too, but not a given name then a family name
    expect(
      detect(
        'route',
        many(100, (i) => `Via New York to San Diego, stop ${i}`),
      ),
    ).toBeUndefined();
  });
});

describe("phoneLike (whether a seed's first values start loading the phone metadata early)", () => {
  it('takes numbers written as phones are, and leaves keys, amounts, timestamps and dates', () => {
    // Assess: written phones (and SSNs, grouped alike) start the load
    for (const value of [
      '(982) 313-5426',
      '+1 555 123 4567',
      '+44 20 7946 0958',
      '555-1234',
      '263-31-8159',
    ]) {
      expect(phoneLike(value), value).toBe(true);
    }
    // a plain run of digits is mostly a key or an epoch; amounts and dates never need the metadata
    for (const value of [
      '9823135426',
      '1234567.89',
      '1.234.567',
      '1062.23',
      '2001-01-01 00:01:00',
      '2024-09-06',
      '01/02/2003',
      'CUS-100005',
      '33',
      'LAS',
    ]) {
      expect(phoneLike(value), value).toBe(false);
    }
  });
});
