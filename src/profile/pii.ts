/**
 * Semantic (PII) detection from a column's distinct values and its name. Each detector matches
 * and validates values (Luhn for cards, mod-97 for IBANs, SSN ranges…); a type is taken when a large
 * enough share of the sampled values passes: 80%, or 50% when the column name hints the type.
 * Evidence says how many values passed and whether the name helped, never what a value was.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { ColumnKind, SemanticType } from '../contracts.ts';
import { snakeName } from './infer.ts';

export interface SemanticDetection {
  type: SemanticType;
  confidence: number;
  evidence: string;
}

export interface SemanticInput {
  name: string;
  kind: ColumnKind;
  /** Distinct non-null values (a sample of them). */
  values: string[];
  /** Distinct values over non-null values in the whole column. */
  distinctRatio: number;
}

const THRESHOLD = 0.8;
const HINTED_THRESHOLD = 0.5;

export const luhn = (digits: string): boolean => {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
};

/** ISO 13616 check: the rearranged IBAN read as a number is 1 mod 97. */
export const ibanValid = (value: string): boolean => {
  const iban = value.replace(/\s+/g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let rest = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    const n = code >= 65 ? code - 55 : code - 48;
    rest = (n >= 10 ? rest * 100 + n : rest * 10 + n) % 97;
  }
  return rest === 1;
};

/** US SSN rules: area not 000, 666 or 900-999; group not 00; serial not 0000. */
export const ssnValid = (area: string, group: string, serial: string): boolean => {
  const a = Number(area);
  return a !== 0 && a !== 666 && a < 900 && group !== '00' && serial !== '0000';
};

const EMAIL = /^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$/;
const NANP = /^(\+?1[\s.-]?)?(\(\d{3}\)|\d{3})[\s.-]?\d{3}[\s.-]\d{4}(\s*(x|ext\.?)\s*\d{1,5})?$/i;
const INTERNATIONAL = /^\+\d[\d\s().-]{7,22}$/;
const BARE_DIGITS = /^\d{10,15}$/;
const SSN = /^(\d{3})([- ])(\d{2})\2(\d{4})$/;
const SSN_BARE = /^(\d{3})(\d{2})(\d{4})$/;
const CARD = /^\d{4}([ -]?)\d{4}\1\d{4}\1\d{1,7}$|^\d{13,19}$|^\d{4}[ -]?\d{6}[ -]?\d{5}$/;
const URL = /^(https?|ftp):\/\/[^\s/?#]+\.[^\s/?#]+([/?#]\S*)?$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CAPITALIZED = "\\p{Lu}[\\p{L}'’.-]*";
const FULL_NAME = new RegExp(`^${CAPITALIZED}( ${CAPITALIZED}){1,2}$`, 'u');
const ONE_NAME = new RegExp(`^${CAPITALIZED}([ -]${CAPITALIZED})?$`, 'u');
const ZIP = /^\d{5}(-\d{4})?$/;
const CANADA_POSTAL = /^[A-Z]\d[A-Z] ?\d[A-Z]\d$/i;
const UK_POSTCODE = /^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$/i;
/** USPS street suffixes and common variants, full and abbreviated. */
const STREET_SUFFIXES = new Set(
  (
    'alley aly avenue ave av bend blvd boulevard branch bridge brook brooks burg burgs bypass byp camp canyon cape ' +
    'causeway center centers ctr circle circles cir cliff cliffs close club common commons corner corners course ' +
    'court courts ct cove coves creek crescent cres crest croft crossing crossroad curve dale dam dell divide drive ' +
    'drives dr end estate estates expressway expy extension extensions fall falls ferry field fields flat flats ford ' +
    'fords forest forge forges fork forks fort freeway fwy garden gardens gateway glebe glen glens green greens grove ' +
    'groves harbor harbors haven heights hts highway hwy hill hills hollow inlet island islands isle junction ' +
    'junctions key keys knoll knolls lake lakes land landing lane ln light lights limes loaf lock locks lodge loop ' +
    'mall maltings manor manors meadow meadows mews mill mills mission motorway mount mountain mountains neck oaks ' +
    'orchard oval overpass paddock paddocks park parks parkway parkways pkwy pass passage path pike pine pines place ' +
    'pl plain plains plaza point points port ports prairie radial ramp ranch rapid rapids rest ridge ridges ' +
    'ridgeway rise river riverside road roads rd route row rue run shoal shoals shore shores skyway spinney spring ' +
    'springs spur spurs square squares sq station stravenue stream street streets st summit terrace ter ' +
    'throughway trace track trafficway trail trl tunnel turnpike underpass union unions valley valleys via viaduct ' +
    'view views village villages ville vista walk walks wall waterside way ways well wells willows hawthorns broadway'
  ).split(' '),
);
const DIRECTIONS = new Set(['n', 's', 'e', 'w', 'ne', 'nw', 'se', 'sw', 'north', 'south', 'east', 'west']);
const UNIT = /\s+(apt\.?|apartment|suite|ste\.?|unit|#)\s*[\w-]+$/i;
const HOUSE_NUMBER = /^\d{1,6}[A-Za-z]?\s+\S/;

const streetAddress = (value: string): boolean => {
  if (!HOUSE_NUMBER.test(value)) return false;
  const words = value.replace(UNIT, '').replace(/,.*$/, '').split(/\s+/).slice(1);
  if (words.length < 2 || words.length > 7) return false;
  let last = words[words.length - 1]!.toLowerCase().replace(/\.$/, '');
  if (DIRECTIONS.has(last) && words.length > 2)
    last = words[words.length - 2]!.toLowerCase().replace(/\.$/, '');
  return STREET_SUFFIXES.has(last);
};

interface Detector {
  type: SemanticType;
  /** Completes "… sampled values are valid ___". */
  label: string;
  hint?: RegExp;
  /** Kinds whose values can hold this type. */
  kinds: ColumnKind[];
  /** Whether the name must hint the type (content alone is too ambiguous, e.g. ZIP codes). */
  needsHint?: boolean;
  test(value: string, hinted: boolean): boolean;
}

const TEXTUAL: ColumnKind[] = ['categorical', 'text', 'id'];
const DIGITS: ColumnKind[] = [...TEXTUAL, 'integer'];

const FIRST_NAME_HINT = /(^|_)(first|given|fore|middle)_?name$|^(fname|first)$/;
const LAST_NAME_HINT = /(^|_)(last|family|sur)_?name$|^(lname|surname|last)$/;
const FULL_NAME_HINT =
  /(^|_)(full_?name|person(_name)?|(customer|client|contact|employee|patient|member|owner|holder|cardholder|recipient|sender|person|user)_name)$|^name$/;

const DETECTORS: Detector[] = [
  { type: 'uuid', label: 'UUIDs', hint: /uuid|guid/, kinds: TEXTUAL, test: (v) => UUID.test(v) },
  { type: 'email', label: 'email addresses', hint: /mail/, kinds: TEXTUAL, test: (v) => EMAIL.test(v) },
  { type: 'iban', label: 'IBANs (mod-97)', hint: /iban/, kinds: TEXTUAL, test: ibanValid },
  {
    type: 'credit_card',
    label: 'card numbers (Luhn)',
    hint: /card|(^|_)(cc|pan)($|_)|credit/,
    kinds: DIGITS,
    test: (v) => {
      if (!CARD.test(v)) return false;
      const digits = v.replace(/[ -]/g, '');
      return digits.length >= 13 && digits.length <= 19 && !/^(\d)\1+$/.test(digits) && luhn(digits);
    },
  },
  {
    type: 'ssn',
    label: 'US social security numbers',
    hint: /(^|_)(ssn|social_security(_number|_no)?|social_sec|ss_?no)($|_)/,
    kinds: DIGITS,
    test: (v, hinted) => {
      const m = SSN.exec(v) ?? (hinted ? SSN_BARE.exec(v) : null);
      if (m === null) return false;
      return m.length === 5 ? ssnValid(m[1]!, m[3]!, m[4]!) : ssnValid(m[1]!, m[2]!, m[3]!);
    },
  },
  {
    type: 'ipv4',
    label: 'IPv4 addresses',
    hint: /(^|_)ip(v4)?(_?addr(ess)?)?($|_)/,
    kinds: TEXTUAL,
    test: isIPv4,
  },
  {
    type: 'ipv6',
    label: 'IPv6 addresses',
    hint: /(^|_)ip(v6)?(_?addr(ess)?)?($|_)/,
    kinds: TEXTUAL,
    test: isIPv6,
  },
  {
    type: 'url',
    label: 'URLs',
    hint: /url|uri|link|website|homepage/,
    kinds: TEXTUAL,
    test: (v) => URL.test(v),
  },
  {
    type: 'phone',
    label: 'phone numbers',
    hint: /phone|mobile|cell|(^|_)tel($|_)|telephone|fax|msisdn/,
    kinds: DIGITS,
    test: (v, hinted) => {
      const digits = v.replace(/\D/g, '').length;
      if (digits < 10 || digits > 15) return false;
      return NANP.test(v) || INTERNATIONAL.test(v) || (hinted && BARE_DIGITS.test(v));
    },
  },
  {
    type: 'street_address',
    label: 'street addresses',
    hint: /(^|_)(street|addr|address|address_?line_?\d?|street_address|home_address|mailing_address)$/,
    kinds: TEXTUAL,
    test: streetAddress,
  },
  {
    type: 'postal_code',
    label: 'postal codes',
    hint: /zip|postal|post_?code/,
    kinds: DIGITS,
    needsHint: true,
    test: (v) => ZIP.test(v) || CANADA_POSTAL.test(v) || UK_POSTCODE.test(v),
  },
  {
    type: 'first_name',
    label: 'given names',
    hint: FIRST_NAME_HINT,
    kinds: TEXTUAL,
    needsHint: true,
    test: (v) => ONE_NAME.test(v),
  },
  {
    type: 'last_name',
    label: 'family names',
    hint: LAST_NAME_HINT,
    kinds: TEXTUAL,
    needsHint: true,
    test: (v) => ONE_NAME.test(v),
  },
  {
    type: 'person_name',
    label: 'person names',
    hint: FULL_NAME_HINT,
    kinds: TEXTUAL,
    test: (v) => FULL_NAME.test(v),
  },
];

const DOB_HINT = /(^|_)(dob|birth_?date|date_of_birth|birthday|born(_on)?|d_o_b)($|_)|birth/;

/** The most likely semantic type of a column, or undefined when none is convincing. */
export const detectSemantic = (input: SemanticInput): SemanticDetection | undefined => {
  const name = snakeName(input.name);
  if (input.kind === 'date' || input.kind === 'datetime') {
    if (!DOB_HINT.test(name)) return undefined;
    return {
      type: 'date_of_birth',
      confidence: 0.9,
      evidence: `every value is a ${input.kind}; column name hints date of birth`,
    };
  }
  const n = input.values.length;
  if (n === 0) return undefined;
  let best: { detection: SemanticDetection; score: number } | undefined;
  for (const detector of DETECTORS) {
    if (!detector.kinds.includes(input.kind)) continue;
    const hinted = detector.hint?.test(name) ?? false;
    if (detector.needsHint && !hinted) continue;
    let passed = 0;
    for (const value of input.values) if (detector.test(value.trim(), hinted)) passed++;
    const share = passed / n;
    let threshold = hinted ? HINTED_THRESHOLD : THRESHOLD;
    // Two capitalized words are also cities and products: by content alone, names must be many and varied.
    if (detector.type === 'person_name' && !hinted) {
      if (input.distinctRatio < 0.5) continue;
      threshold = 0.9;
    }
    if (share < threshold) continue;
    const score = share + (hinted ? 0.25 : 0);
    if (best !== undefined && score <= best.score) continue;
    const pct = Math.floor(share * 100);
    best = {
      score,
      detection: {
        type: detector.type,
        confidence: Math.round(Math.min(1, share + (hinted ? 0.1 : 0)) * 100) / 100,
        evidence:
          `${pct}% of ${n} sampled values are valid ${detector.label}` +
          (hinted ? `; column name hints ${detector.type.replaceAll('_', ' ')}` : ''),
      },
    };
  }
  return best?.detection;
};
