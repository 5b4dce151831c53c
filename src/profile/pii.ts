/**
 * Semantic (PII) detection from a column's distinct values and its name. Each detector matches
 * and validates values (Luhn for cards, mod-97 for IBANs, SSN ranges, phone numbering plans, a
 * lexicon of given names…); a type is taken when a large enough share of the sampled values passes:
 * 80%, or 50% when the column name hints the type. Free text is flagged when a share of its values
 * embed an identifier (an email, a phone number…). Evidence says how many values passed and whether
 * the name helped, never what a value was.
 *
 * Steps for one column: dates go to the date-of-birth check; otherwise each detector whose kinds
 * fit counts its passing values (stopping as soon as the threshold is out of reach), applies its
 * column-wide check, and the best score (share, plus a bonus for a hinting name) wins; when none
 * does, text is scanned for embedded identifiers.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { CountryCode } from 'libphonenumber-js/min';
import type { ColumnKind, SemanticType } from '../contracts.ts';
import { snakeName } from './infer.ts';
import { foldName as fold, loadNameLexicon, type NameLexicon } from './name-lexicon.ts';

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
/**
 * Values checked by the costly checks (parsing phone numbers, scanning text), evenly spread over the
 * sample: shares are then within a few percent.
 */
const COSTLY_CHECKS = 300;

/** At most `max` of the values, evenly spread. */
const spread = (values: string[], max: number): string[] => {
  if (values.length <= max) return values;
  const step = values.length / max;
  return Array.from({ length: max }, (_, i) => values[Math.floor(i * step)]!);
};

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

/** Issuers by leading digits and the lengths they issue (ISO/IEC 7812 ranges of the major networks). */
const ISSUERS: [RegExp, number, number][] = [
  [/^4/, 13, 19], // Visa
  [/^(5[1-5]|222[1-9]|22[3-9]|2[3-6]|27[01]|2720)/, 16, 16], // Mastercard
  [/^3[47]/, 15, 15], // American Express
  [/^(6011|64[4-9]|65)/, 16, 19], // Discover
  [/^(30[0-5]|36|38|39)/, 14, 19], // Diners Club
  [/^35(2[89]|[3-8])/, 16, 19], // JCB
  [/^62/, 16, 19], // UnionPay
  [/^(5018|5020|5038|5893|6304|6759|676[1-3])/, 12, 19], // Maestro
];

/** A card number: an issuer's leading digits at one of its lengths, and the Luhn check. */
export const cardValid = (digits: string): boolean =>
  ISSUERS.some(([prefix, min, max]) => digits.length >= min && digits.length <= max && prefix.test(digits)) &&
  !/^(\d)\1+$/.test(digits) &&
  luhn(digits);

/** National formats are read as these countries' when the name says the column holds phone numbers. */
const PHONE_COUNTRIES: CountryCode[] = [
  'US',
  'GB',
  'DE',
  'FR',
  'IN',
  'ES',
  'IT',
  'NL',
  'BR',
  'AU',
  'CA',
  'SE',
  'PL',
];
const PHONE_SHAPE = /^(\+|00)?[\d\s().\-/]{6,24}?(\s*(x|ext\.?|#)\s*\d{1,6})?$/i;
const PHONE_PUNCTUATION = /[\s().-]/;
/** NANP: optional +1, area code and exchange starting 2-9 (the digits' own rule, no parse needed). */
const NANP = /^(\+?1[\s.-]?)?(\([2-9]\d{2}\)|[2-9]\d{2})[\s.-]?[2-9]\d{2}[\s.-]?\d{4}$/;

/**
 * A phone number possible in its numbering plan (length, country code; NANP area code and exchange
 * 2-9). Without a hinting name only international numbers (+ or 00) and US layouts count, and bare
 * digit strings never do: order numbers and amounts are digits too.
 */
export const phoneValid = (value: string, hinted: boolean): boolean => {
  if (!PHONE_SHAPE.test(value)) return false;
  const main = value.replace(/\s*(x|ext\.?|#)\s*\d{1,6}$/i, '');
  const digits = main.replace(/\D/g, '');
  if (digits.length < 7 || digits.length > 15) return false;
  const international = main.startsWith('+') || main.startsWith('00');
  if (!hinted && !international && !PHONE_PUNCTUATION.test(main)) return false;
  // Most phone columns are North American: their plan is checked here, without parsing.
  if (NANP.test(main)) return true;
  if (!international && !hinted) {
    const national = digits.length === 11 && digits.startsWith('1') ? digits.slice(1) : digits;
    return national.length === 10 && /^[2-9]\d{2}[2-9]/.test(national);
  }
  const text = main.startsWith('00') ? `+${main.slice(2)}` : main;
  for (const country of international ? [undefined] : PHONE_COUNTRIES) {
    const phone = phoneLib().parsePhoneNumberFromString(text, country);
    if (phone === undefined || !phone.isPossible()) continue;
    if (phone.countryCallingCode === '1' && !/^[2-9]\d{2}[2-9]/.test(phone.nationalNumber)) continue;
    return true;
  }
  return false;
};

const EMAIL_ADDRESS = "[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}";
/** A bare address, a mailto: link, or 'Display Name <address>'. */
const EMAIL = new RegExp(`^(mailto:)?${EMAIL_ADDRESS}$|^[^<>@]*<${EMAIL_ADDRESS}>$`);
/** An IPv4 address, possibly with a port. */
const ipv4 = (v: string): boolean => isIPv4(v.replace(/:\d{1,5}$/, ''));
const SSN = /^(\d{3})([- ])(\d{2})\2(\d{4})$/;
const SSN_BARE = /^(\d{3})(\d{2})(\d{4})$/;
const CARD = /^\d{4}([ -]?)\d{4}\1\d{4}\1\d{1,7}$|^\d{13,19}$|^\d{4}[ -]?\d{6}[ -]?\d{4,5}$/;
const URL = /^(https?|ftp):\/\/[^\s/?#]+\.[^\s/?#]+([/?#]\S*)?$/i;
const WWW = /^www\.[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}([/?#]\S*)?$/i;
const DOMAIN = /^[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}([/?#]\S*)?$/i;
const UUID = /^(urn:uuid:|\{)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?$/i;
/** A UUID without hyphens: only with a version nibble and the RFC variant (a random hash rarely has both). */
const UUID_COMPACT = /^[0-9a-f]{12}[1-8][0-9a-f]{3}[89ab][0-9a-f]{15}$/i;
/** ULID: 48-bit millisecond time, then randomness, in Crockford base32. */
const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/i;
/** MongoDB ObjectId: 24 hex digits led by a creation time in seconds (2009-2038 here; a hash is anything). */
const OBJECT_ID = /^[0-9a-f]{24}$/i;
const isUniqueKey = (v: string): boolean => {
  if (UUID.test(v) || UUID_COMPACT.test(v) || ULID.test(v)) return true;
  if (!OBJECT_ID.test(v)) return false;
  const seconds = Number.parseInt(v.slice(0, 8), 16);
  return seconds >= 0x4a000000 && seconds < 0x80000000;
};

const ZIP = /^\d{5}(-\d{4})?$/;
const CANADA_POSTAL = /^[A-Z]\d[A-Z] ?\d[A-Z]\d$/i;
const UK_POSTCODE = /^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$/i;
/** Other common layouts: 4-6 digits (DE, FR, AU, IN…), NL '1234 AB', BR '12345-678', PL '12-345', SE '123 45'. */
const OTHER_POSTAL = /^(\d{4,6}|\d{4} ?[A-Z]{2}|\d{5}-\d{3}|\d{2}-\d{3}|\d{3} \d{2})$/i;

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
    'view views village villages ville vista walk walks wall waterside way ways well wells willows hawthorns broadway ' +
    // British and Irish
    'chase wynd drove gate fold garth parade approach yard hey brow croft lea leys grange vale bank side ' +
    'gardens quay wharf hill rise mead'
  ).split(' '),
);
/** Street types that lead the street name (French, Spanish, Italian, Portuguese, Polish, Dutch…). */
const LEADING_STREET_TYPES = new Set(
  (
    'rue avenue av boulevard bd chemin place impasse allée allee quai voie passage route cours square ' +
    'calle avenida av. paseo plaza camino carrera via viale piazza corso vicolo largo rua travessa alameda ' +
    'praça praca rodovia estrada ul ul. ulica aleja al. os. plac straat laan weg plein gracht'
  ).split(' '),
);
/** German, Dutch and Scandinavian street names end in the type and put the number after them. */
const TRAILING_NUMBER_STREET =
  /^[\p{L}][\p{L} .'’-]*(straße|strasse|str\.|weg|gasse|platz|allee|ring|damm|ufer|steig|stieg|pfad|chaussee|markt|hof|garten|graben|wall|kamp|feld|höhe|anger|winkel|bogen|promenade|straat|laan|gracht|plein|gatan|vägen|gränd|torget|stig)\s+\d{1,5}\s?[a-z]?(\s.*)?$/iu;
/** German streets named with a preposition: 'Am Markt 3', 'In der Aue 12a'. */
const PREPOSITION_STREET =
  /^(am|an der|an den|auf der|auf dem|im|in der|in den|zum|zur|hinter der|hinter dem|unter den|vor dem)\s+\p{Lu}[\p{L} .'’-]*\s\d{1,5}\s?[a-z]?$/iu;
const DIRECTIONS = new Set(['n', 's', 'e', 'w', 'ne', 'nw', 'se', 'sw', 'north', 'south', 'east', 'west']);
const UNIT = /\s+(apt\.?|apartment|suite|ste\.?|unit|#|floor|fl\.?)\s*[\w-]+$/i;
const HOUSE_NUMBER = /^\d{1,6}[A-Za-z]?(-\d{1,4})?,?\s+\S/;

export const streetAddress = (value: string): boolean => {
  const line = value.replace(/,.*$/, '').trim();
  if (TRAILING_NUMBER_STREET.test(line) || PREPOSITION_STREET.test(line)) return true;
  if (!HOUSE_NUMBER.test(line)) return false;
  const words = line.replace(UNIT, '').split(/\s+/).slice(1);
  if (words.length < 2 || words.length > 7) return false;
  const first = words[0]!.toLowerCase();
  if (LEADING_STREET_TYPES.has(first)) return /^\p{L}/u.test(words[1]!);
  let last = words[words.length - 1]!.toLowerCase().replace(/\.$/, '');
  if (DIRECTIONS.has(last) && words.length > 2)
    last = words[words.length - 2]!.toLowerCase().replace(/\.$/, '');
  return STREET_SUFFIXES.has(last);
};

/**
 * Given and family names (src/profile/name-lexicon.ts), loaded on first need (`preloadPii` may start
 * it early): a profile needs them only at its end.
 */
let lexicon: NameLexicon | undefined;
let lexiconLoad: Promise<NameLexicon> | undefined;

/**
 * libphonenumber's metadata, loaded with the lexicon for the same reason, and only where a value
 * could reach it: loading it costs about 0.1 s, a tenth of profiling 100 MB.
 */
let phones: typeof import('libphonenumber-js/min') | undefined;
let phonesLoad: Promise<typeof import('libphonenumber-js/min')> | undefined;

/**
 * Seven digits or more: `phoneValid` (and the free-text phone pattern) turn down anything shorter
 * before parsing, so a sample without such a value never needs the phone metadata.
 */
const SEVEN_DIGITS = /\d(?:\D*\d){6}/;

/** Digits written the way phone numbers are: grouped by spaces, dashes, dots or parentheses. */
const PHONE_WRITTEN = /^\+?\(?\d[\d ().-]*\d$/;
const DATE_LEADING = /^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})(?:$|[ T])/;

/**
 * Whether a value looks like a written phone number (or another grouped identifier, an SSN): the
 * sign that a profile will want the phone metadata. Plain digit runs, numbers and dates do not
 * count: they are mostly keys, amounts and timestamps, and loading for them would cost for nothing.
 */
export const phoneLike = (value: string): boolean => {
  const v = value.trim();
  if (v.length < 7 || v.length > 24 || !PHONE_WRITTEN.test(v) || DATE_LEADING.test(v)) return false;
  let digits = 0;
  let grouped = v.startsWith('+');
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c !== 46) grouped = true;
  }
  // Dots alone group digits in numbers too (1.234.567): a space, dash, parenthesis or plus is needed.
  return digits >= 7 && digits <= 15 && grouped;
};

/**
 * Starts loading what detection needs without waiting for it: the name lexicon always, the phone
 * metadata when one of `head` (a seed's first values) is `phoneLike`. A profile calls it as it
 * starts, so the loads overlap the scan (the calling thread waits for its workers at first, and for
 * the last of them at the end; a seed read from S3 waits for bytes) instead of following it: at a
 * profile's end, with a large heap, the lexicon took about 30 ms and the phone metadata about
 * 150 ms. `preparePii` still decides; it only awaits what is under way.
 */
export const preloadPii = (head: Iterable<string> = []): void => {
  lexiconLoad ??= loadNameLexicon();
  // A failed load is reported by `preparePii`, which awaits the same promise.
  lexiconLoad.catch(() => {});
  if (phones !== undefined || phonesLoad !== undefined) return;
  for (const value of head) {
    if (phoneLike(value)) {
      phonesLoad = import('libphonenumber-js/min');
      phonesLoad.catch(() => {});
      return;
    }
  }
};

/**
 * Loads what `detectSemantic` needs: the name lexicon, and the phone metadata when some of these
 * values could be a phone number (all values: always). Call it once before detecting, with every
 * value the detection will see.
 */
export const preparePii = async (values?: Iterable<string>): Promise<void> => {
  lexiconLoad ??= loadNameLexicon();
  lexicon ??= await lexiconLoad;
  if (phones !== undefined) return;
  let needed = values === undefined;
  for (const value of values ?? []) {
    if (SEVEN_DIGITS.test(value)) {
      needed = true;
      break;
    }
  }
  if (needed) {
    phonesLoad ??= import('libphonenumber-js/min');
    phones = await phonesLoad;
  }
};

const NOT_PREPARED = 'detectSemantic needs `await preparePii()` first';

const names = (): NameLexicon => {
  if (lexicon === undefined) throw new Error(NOT_PREPARED);
  return lexicon;
};

const phoneLib = (): typeof import('libphonenumber-js/min') => {
  if (phones === undefined) throw new Error(NOT_PREPARED);
  return phones;
};

const TITLES = new Set('mr mrs ms miss mx dr prof sir dame rev herr frau mme mlle'.split(' '));
const NAME_SUFFIXES = new Set('jr sr ii iii iv v md phd dds dvm esq mba cpa rn'.split(' '));
const PARTICLES = new Set(
  'van von de da del della der den di la le du bin al ibn y dos das do ten ter'.split(' '),
);
const NAME_WORD = /^\p{L}[\p{L}'’.-]*$/u;
const CAPITALIZED_WORD = /^\p{Lu}/u;

/** A person's name split into given and family name, or undefined when the value is not shaped as one. */
export const parseName = (value: string): { given: string; family: string; words: number } | undefined => {
  const comma = value.indexOf(',');
  // 'Lee, Ann' is family name first; a second comma is a list or a company ('A, B and C').
  if (comma >= 0 && value.indexOf(',', comma + 1) >= 0) return undefined;
  const before = comma >= 0 ? value.slice(0, comma) : value;
  const after = comma >= 0 ? value.slice(comma + 1) : '';
  let words = (comma >= 0 ? `${after} ${before}` : value).trim().split(/\s+/);
  const bare = (w: string) => w.toLowerCase().replace(/\.$/, '');
  while (words.length > 2 && TITLES.has(bare(words[0]!))) words = words.slice(1);
  while (words.length > 2 && NAME_SUFFIXES.has(bare(words[words.length - 1]!))) words = words.slice(0, -1);
  if (words.length < 2 || words.length > 4) return undefined;
  const upper = value === value.toUpperCase();
  const lower = value === value.toLowerCase();
  for (const w of words) {
    if (!NAME_WORD.test(w)) return undefined;
    if (!upper && !lower && !CAPITALIZED_WORD.test(w) && !PARTICLES.has(w)) return undefined;
  }
  return { given: fold(words[0]!), family: fold(words[words.length - 1]!), words: words.length };
};

const ONE_NAME = /^\p{L}[\p{L}'’.]*([ -]\p{L}[\p{L}'’.]*)?$/u;
const oneName = (value: string): boolean =>
  ONE_NAME.test(value) && (CAPITALIZED_WORD.test(value) || value === value.toLowerCase());

interface Detector {
  type: SemanticType;
  /** Completes "… sampled values are valid ___". */
  label: string;
  hint?: RegExp;
  /** Names that say the column is something else (a version, a SKU). */
  antiHint?: RegExp;
  /** Kinds whose values can hold this type. */
  kinds: ColumnKind[];
  /** Whether the test is slow enough to run on a spread subset of the sample (COSTLY_CHECKS). */
  costly?: boolean;
  /** Least shares [without, with] a hinting name. */
  thresholds?: [number, number];
  test(value: string, hinted: boolean): boolean;
  /** A column-wide check on the passing values, with a clause for the evidence when it passes. */
  accept?(passing: string[], hinted: boolean, input: SemanticInput): string | undefined;
}

const TEXTUAL: ColumnKind[] = ['categorical', 'text', 'id'];
const DIGITS: ColumnKind[] = [...TEXTUAL, 'integer', 'float'];

const FIRST_NAME_HINT = /(^|_)(first|given|fore|middle)_?name$|^(fname|first|given)$/;
const LAST_NAME_HINT = /(^|_)(last|family|sur)_?name$|^(lname|surname|last|family)$/;
const PERSON_HINT =
  /(^|_)(full_?name|person(_name)?|(customer|client|contact|employee|patient|member|owner|holder|cardholder|recipient|sender|user|author|student|driver|applicant|beneficiary|guest|passenger)_?name)$/;
/**
 * Columns named for a person's role (director, lead_actor, assignee_2) hold names when their values
 * read as names: a hint, not a verdict, so a role column of ids or codes stays what it is. Such a
 * column repeats names (a director of many films), so it needs no share of distinct values.
 */
const ROLE_HINT =
  /(^|_)(director|actor|actress|author|artist|composer|writer|producer|editor|manager|supervisor|owner|employee|patient|physician|doctor|nurse|teacher|instructor|coach|player|driver|passenger|assignee|reporter|reviewer|witness|signatory|salesperson|sales_?rep|representative|agent)s?(_\d+)?$/;

/** Share of the passing values whose given (or family) name is a known one. */
const knownShare = (passing: string[], known: (v: string) => boolean): number => {
  if (passing.length === 0) return 0;
  let k = 0;
  for (const v of passing) if (known(v)) k++;
  return k / passing.length;
};

const pctOf = (share: number): string => `${Math.floor(share * 100)}%`;

/** Distinct keys below which a column of repeated keys is a set of categories. */
const MIN_KEYS = 20;

/** Distinct values the name lexicon must see before a column of single words is taken as names. */
const MIN_NAMES = 20;

const DETECTORS: Detector[] = [
  {
    type: 'uuid',
    label: 'UUIDs or other unique keys (ULID, ObjectId)',
    hint: /uuid|guid|ulid|object_?id|(^|_)(id|key)$/,
    kinds: TEXTUAL,
    test: isUniqueKey,
    // A handful of keys repeated over many rows label groups (a species, a region): categories.
    accept: (passing, _hinted, input) =>
      passing.length < MIN_KEYS && input.distinctRatio < 0.5 ? undefined : '',
  },
  { type: 'email', label: 'email addresses', hint: /mail/, kinds: TEXTUAL, test: (v) => EMAIL.test(v) },
  { type: 'iban', label: 'IBANs (mod-97)', hint: /iban|account/, kinds: TEXTUAL, test: ibanValid },
  {
    type: 'credit_card',
    label: 'card numbers (issuer, Luhn)',
    hint: /card|(^|_)(cc|pan)($|_)|credit/,
    kinds: DIGITS,
    test: (v) => CARD.test(v) && cardValid(v.replace(/[ -]/g, '')),
  },
  {
    type: 'ssn',
    label: 'US social security numbers',
    hint: /(^|_)(ssn|social_security(_number|_no)?|social_sec|ss_?no|ss_?num)($|_)/,
    kinds: DIGITS,
    test: (v, hinted) => {
      const m = SSN.exec(v) ?? (hinted ? SSN_BARE.exec(v.padStart(9, '0')) : null);
      if (m === null) return false;
      return m.length === 5 ? ssnValid(m[1]!, m[3]!, m[4]!) : ssnValid(m[1]!, m[2]!, m[3]!);
    },
  },
  {
    type: 'ipv4',
    label: 'IPv4 addresses',
    hint: /(^|_)ip(v4)?(_?addr(ess)?)?($|_)|remote_addr|client_addr|host_addr/,
    antiHint: /version|release|build|(^|_)(ver|v|rev|semver)($|_)/,
    kinds: TEXTUAL,
    test: ipv4,
    // Version strings ('1.2.3.4') are valid dotted quads whose leading parts are small; addresses spread.
    accept: (passing, hinted) => {
      if (hinted) return '';
      let versionLike = 0;
      for (const v of passing) if (v.split(/[.:]/, 3).every((o) => Number(o) < 32)) versionLike++;
      return versionLike < 0.7 * passing.length ? '' : undefined;
    },
  },
  {
    type: 'ipv6',
    label: 'IPv6 addresses',
    hint: /(^|_)ip(v6)?(_?addr(ess)?)?($|_)/,
    kinds: TEXTUAL,
    // Node's check is one large regular expression, compiled at its first use: a column with no
    // colon in a value never needs it (4-5 ms of a profile's summary).
    test: (v) => v.includes(':') && isIPv6(v),
  },
  {
    type: 'url',
    label: 'URLs',
    hint: /url|uri|link|website|homepage|(^|_)(web|site|domain)($|_)/,
    kinds: TEXTUAL,
    test: (v, hinted) => URL.test(v) || WWW.test(v) || (hinted && DOMAIN.test(v)),
  },
  {
    type: 'phone',
    label: 'phone numbers (numbering plan)',
    hint: /phone|mobile|cell|(^|_)(tel|tel_no|telephone|fax|msisdn|contact_number)($|_)/,
    kinds: [...TEXTUAL, 'integer'],
    costly: true,
    test: phoneValid,
  },
  {
    type: 'street_address',
    label: 'street addresses',
    hint: /(^|_)(street|addr|address|addr(ess)?_?line_?\d?|address\d|adresse|anschrift|indirizzo|endereco|direccion)$/,
    kinds: TEXTUAL,
    test: streetAddress,
  },
  {
    type: 'postal_code',
    label: 'postal codes',
    hint: /zip|postal|post_?code|(^|_)plz($|_)|(^|_)cap($|_)|(^|_)pin_?code/,
    antiHint: /sku|product|item|part|order|code_?id/,
    kinds: DIGITS,
    // Canadian and British codes are distinctive; bare digits are not (SKUs, product codes).
    test: (v, hinted) =>
      CANADA_POSTAL.test(v) || UK_POSTCODE.test(v) || (hinted && (ZIP.test(v) || OTHER_POSTAL.test(v))),
    thresholds: [0.9, HINTED_THRESHOLD],
  },
  {
    type: 'first_name',
    label: 'given names',
    hint: FIRST_NAME_HINT,
    kinds: TEXTUAL,
    test: oneName,
    // Without the name, single words must be many and mostly known given names (not colors or cities).
    accept: (passing, hinted) => {
      const known = knownShare(passing, (v) => names().given.has(fold(v)));
      if (!hinted && (known < 0.8 || passing.length < MIN_NAMES)) return undefined;
      return `${pctOf(known)} are known given names`;
    },
  },
  {
    type: 'last_name',
    label: 'family names',
    hint: LAST_NAME_HINT,
    kinds: TEXTUAL,
    test: oneName,
    accept: (passing, hinted) => {
      const known = knownShare(passing, (v) => names().family.has(fold(v)));
      if (hinted) return `${pctOf(known)} are known family names`;
      const given = knownShare(passing, (v) => names().given.has(fold(v)));
      if (known < 0.8 || given > 0.5 || passing.length < MIN_NAMES) return undefined;
      return `${pctOf(known)} are known family names`;
    },
  },
  {
    type: 'person_name',
    label: 'person names',
    hint: new RegExp(`${PERSON_HINT.source}|${ROLE_HINT.source}|^name$|_name$`),
    antiHint:
      /(^|_)(product|item|company|business|brand|city|town|country|state|street|file|host|domain|team|org|organization|organisation|store|shop|vendor|supplier|merchant|category|project|app|device|model|event|table|column|field|display|user_?name|login|account)_?name$/,
    kinds: TEXTUAL,
    thresholds: [0.9, HINTED_THRESHOLD],
    test: (v) => parseName(v) !== undefined,
    // Two capitalized words are also cities, products and companies: most must start with a known given name.
    accept: (passing, hinted, input) => {
      const known = knownShare(passing, (v) => names().given.has(parseName(v)?.given ?? ''));
      const specific = PERSON_HINT.test(snakeName(input.name));
      const least = specific ? 0.1 : hinted ? 0.3 : 0.5;
      if (known < least || (!hinted && input.distinctRatio < 0.5)) return undefined;
      return `${pctOf(known)} start with a known given name`;
    },
  },
];

const DOB_HINT =
  /(^|_)(dob|birth_?date|date_of_birth|birthday|born(_on|_at)?|d_o_b|birth_?dt|bday)($|_)|birth/;
/** Names of dates that are events, not births. */
const EVENT_DATE_HINT =
  /order|creat|updat|modif|ship|deliver|purchas|invoice|due|start|end|event|hire|join|signup|sign_up|regist|login|visit|transaction|payment|paid|expir|issue|close|open|seen|stamp|(_at|_on|_ts)$|month|period|report|release|launch|publish|effective|valid/;
/** Dated values needed before a spread of years says births. */
const MIN_DATES = 20;
const YEAR = /(?:^|\D)((?:19|20)\d{2})(?:\D|$)/;

/** The year of a date value, read from its first 19xx/20xx group or a YYYYMMDD integer. */
const yearOf = (value: string): number | undefined => {
  const m = YEAR.exec(value) ?? /^((?:19|20)\d{2})\d{4}$/.exec(value);
  return m === null ? undefined : Number(m[1]);
};

const detectBirthDate = (input: SemanticInput, name: string): SemanticDetection | undefined => {
  const hinted = DOB_HINT.test(name);
  if (!hinted && (input.kind !== 'date' || EVENT_DATE_HINT.test(name))) return undefined;
  const years: number[] = [];
  for (const v of input.values) {
    const y = yearOf(v.trim());
    if (y !== undefined) years.push(y);
  }
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const y of years) {
    if (y < min) min = y;
    if (y > max) max = y;
  }
  if (hinted) {
    return {
      type: 'date_of_birth',
      confidence: 0.9,
      evidence: `${input.values.length} sampled values are ${input.kind}s; column name hints date of birth`,
    };
  }
  // Births of a population spread over decades; order and event dates sit within a few years.
  if (years.length < 0.8 * input.values.length || years.length < MIN_DATES || max - min < 30)
    return undefined;
  return {
    type: 'date_of_birth',
    confidence: 0.6,
    evidence: `${years.length} sampled values are dates whose years span ${max - min} years, as births do`,
  };
};

/** Identifiers found inside free text, each validated as the whole-value detectors do. */
interface Embedded {
  label: string;
  find: RegExp;
  valid: (match: RegExpExecArray) => boolean;
  /**
   * Least share of the candidates that must validate: one random number in ten passes Luhn, so
   * text full of tracking numbers is not text full of cards.
   */
  least?: number;
}

const EMBEDDED: Embedded[] = [
  {
    label: 'email addresses',
    find: /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g,
    valid: () => true,
  },
  {
    label: 'social security numbers',
    find: /(?<![\d-])(\d{3})-(\d{2})-(\d{4})(?![\d-])/g,
    valid: (m) => ssnValid(m[1]!, m[2]!, m[3]!),
  },
  {
    label: 'card numbers',
    find: /(?<![\d-])\d{4}(?:[ -]?\d{4}){2}[ -]?\d{1,7}(?![\d-])/g,
    valid: (m) => cardValid(m[0].replace(/[ -]/g, '')),
    least: 0.5,
  },
  {
    label: 'phone numbers',
    find: /(?<![\w+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)\s?|\d{2,4}[\s.-])\d{3,4}[\s.-]\d{3,4}(?![\w-])|\+\d{8,14}(?!\d)/g,
    valid: (m) => phoneValid(m[0], false),
  },
  {
    label: 'IBANs',
    find: /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b/g,
    valid: (m) => ibanValid(m[0]),
  },
];
const FREE_TEXT_SHARE = 0.03;
/**
 * Least share of values naming a person for text to carry names: higher than for identifiers, as
 * titles and places hold a name now and then ('Jerry Maguire', 'Grace Kelly Boulevard').
 */
const NAME_TEXT_SHARE = 0.1;
/** Two capitalized words in a row, the second possibly double-barrelled. */
const NAME_PAIR =
  /(?<![\p{L}'’-])(\p{Lu}[\p{Ll}'’]+)\s+(\p{Lu}[\p{Ll}'’]+(?:-\p{Lu}[\p{Ll}'’]+)?)(?![\p{L}'’-])/gu;

/** Whether text names a person: a known given name followed by a known family name ("… told Maria Garcia …"). */
const mentionsName = (value: string): boolean => {
  const lexicon = names();
  NAME_PAIR.lastIndex = 0;
  for (let m = NAME_PAIR.exec(value); m !== null; m = NAME_PAIR.exec(value)) {
    if (lexicon.given.has(fold(m[1]!)) && lexicon.family.has(fold(m[2]!))) return true;
    // Pairs overlap ('Dear Ann Lee'): the next try starts at the second word.
    NAME_PAIR.lastIndex = m.index + m[1]!.length;
  }
  return false;
};

/** The bit of a value that names a person, after the identifiers' bits. */
const NAME_BIT = 1 << EMBEDDED.length;

/** Text that is not itself an identifier but whose values embed some (notes, comments, messages). */
const detectEmbedded = (values: string[]): SemanticDetection | undefined => {
  const candidates = new Array<number>(EMBEDDED.length).fill(0);
  const valid = new Array<number>(EMBEDDED.length).fill(0);
  /** Per value, a bit per kind of identifier it embeds. */
  const found: number[] = [];
  for (const value of values) {
    let bits = 0;
    // Every identifier looked for holds '@' or digits.
    if (/[@\d]/.test(value)) {
      for (const [k, kind] of EMBEDDED.entries()) {
        kind.find.lastIndex = 0;
        for (let m = kind.find.exec(value); m !== null; m = kind.find.exec(value)) {
          candidates[k]!++;
          if (kind.valid(m)) {
            valid[k]!++;
            bits |= 1 << k;
            break;
          }
        }
      }
    }
    if (/\p{Lu}/u.test(value) && mentionsName(value)) bits |= NAME_BIT;
    found.push(bits);
  }
  let trusted = 0;
  const seen: string[] = [];
  for (const [k, kind] of EMBEDDED.entries()) {
    if (valid[k]! === 0 || valid[k]! < (kind.least ?? 0) * candidates[k]!) continue;
    trusted |= 1 << k;
    seen.push(kind.label);
  }
  const naming = found.filter((bits) => (bits & NAME_BIT) !== 0).length;
  if (naming >= 2 && naming >= NAME_TEXT_SHARE * values.length) {
    trusted |= NAME_BIT;
    seen.push("people's names");
  }
  let carrying = 0;
  for (const bits of found) if ((bits & trusted) !== 0) carrying++;
  const share = carrying / values.length;
  if (carrying < 2 || share < FREE_TEXT_SHARE) return undefined;
  return {
    type: 'free_text_pii',
    confidence: Math.round(Math.min(1, 0.6 + share) * 100) / 100,
    evidence: `${pctOf(share)} of ${values.length} sampled values embed ${seen.sort().join(', ')}`,
  };
};

/** The most likely semantic type of a column, or undefined when none is convincing. */
export const detectSemantic = (input: SemanticInput): SemanticDetection | undefined => {
  const name = snakeName(input.name);
  if (input.kind === 'date' || input.kind === 'datetime') return detectBirthDate(input, name);
  const all: string[] = [];
  for (const v of input.values) {
    const t = v.trim();
    if (t !== '') all.push(t);
  }
  if (all.length === 0) return undefined;
  const few = spread(all, COSTLY_CHECKS);
  let best: { detection: SemanticDetection; score: number } | undefined;
  for (const detector of DETECTORS) {
    if (!detector.kinds.includes(input.kind)) continue;
    if (detector.antiHint?.test(name)) continue;
    const hinted = detector.hint?.test(name) ?? false;
    const values = detector.costly ? few : all;
    const n = values.length;
    const [plain, withHint] = detector.thresholds ?? [THRESHOLD, HINTED_THRESHOLD];
    const threshold = hinted ? withHint : plain;
    // Stop as soon as the threshold is out of reach: most detectors fail on the first few values.
    const allowedFailures = Math.floor(n * (1 - threshold) + 1e-9);
    const passing: string[] = [];
    let failed = 0;
    for (const value of values) {
      if (detector.test(value, hinted)) passing.push(value);
      else if (++failed > allowedFailures) break;
    }
    if (failed > allowedFailures) continue;
    const share = passing.length / n;
    const clause = detector.accept === undefined ? '' : detector.accept(passing, hinted, input);
    if (clause === undefined) continue;
    const score = share + (hinted ? 0.25 : 0);
    if (best !== undefined && score <= best.score) continue;
    best = {
      score,
      detection: {
        type: detector.type,
        confidence: Math.round(Math.min(1, share + (hinted ? 0.1 : 0)) * 100) / 100,
        evidence:
          `${pctOf(share)} of ${n} sampled values are valid ${detector.label}` +
          (clause === '' ? '' : `, ${clause}`) +
          (hinted ? `; column name hints ${detector.type.replaceAll('_', ' ')}` : ''),
      },
    };
  }
  if (best !== undefined) return best.detection;
  return input.kind === 'text' || input.kind === 'categorical' ? detectEmbedded(few) : undefined;
};
