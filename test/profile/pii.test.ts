import { describe, expect, it } from 'vitest';
import { detectSemantic, ibanValid, luhn, ssnValid } from '../../src/profile/pii.ts';

const detect = (name: string, values: string[], kind: 'text' | 'integer' | 'categorical' | 'date' = 'text') =>
  detectSemantic({ name, kind, values, distinctRatio: 1 })?.type;

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
    expect(detect('contact', half)).toBeUndefined();
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
