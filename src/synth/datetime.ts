/**
 * Date and datetime formats as token strings (moment/day.js style: 'YYYY-MM-DD', 'MM/DD/YYYY',
 * 'YYYY-MM-DDTHH:mm:ssZ', 'DD MMM YYYY', '[literal]'), parsed and written in UTC so a synthetic
 * column keeps exactly the seed's layout.
 *
 * Tokens: YYYY YY MMMM MMM MM M DD D HH H hh h mm ss SSS A a Z ZZ; anything else is literal.
 * 'Z' writes 'Z' (UTC) and 'ZZ' '+00:00'; both read 'Z' or any ±HH:MM / ±HHMM offset.
 * Two whole-format names stand for numbers: 'epoch_s' (seconds since 1970-01-01 UTC) and
 * 'epoch_ms' (milliseconds); 'YYYYMMDD' is an ordinary token string.
 */

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const TOKEN = /\[[^\]]*\]|YYYY|YY|MMMM|MMM|MM|M|DD|D|HH|H|hh|h|mm|ss|SSS|A|a|ZZ|Z|./g;
const DAY_MS = 86_400_000;

type Token = { token: string } | { literal: string };

const tokenize = (format: string): Token[] =>
  (format.match(TOKEN) ?? []).map((t) => {
    if (t.startsWith('[') && t.endsWith(']') && t.length >= 2) return { literal: t.slice(1, -1) };
    return t.length === 1 && !'MDHhAaZ'.includes(t) ? { literal: t } : { token: t };
  });

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** Milliseconds per unit of an epoch format ('epoch_s', 'epoch_ms'), else undefined. */
const epochUnit = (format: string): number | undefined =>
  format === 'epoch_s' ? 1000 : format === 'epoch_ms' ? 1 : undefined;

/** True when the format writes a time of day, not only a date. */
export const hasTime = (format: string): boolean =>
  epochUnit(format) !== undefined ||
  tokenize(format).some((t) => 'token' in t && /^(HH?|hh?|mm|ss|SSS)$/.test(t.token));

/** The general formatter through Date, for years outside 0..9999 and for values that are not finite. */
const slowFormatter = (format: string): ((ms: number) => string) => {
  const parts = tokenize(format).map((t): ((d: Date) => string) => {
    if ('literal' in t) {
      const text = t.literal;
      return () => text;
    }
    switch (t.token) {
      case 'YYYY':
        return (d) => pad(d.getUTCFullYear(), 4);
      case 'YY':
        return (d) => pad(d.getUTCFullYear() % 100, 2);
      case 'MMMM':
        return (d) => MONTHS[d.getUTCMonth()] as string;
      case 'MMM':
        return (d) => (MONTHS[d.getUTCMonth()] as string).slice(0, 3);
      case 'MM':
        return (d) => pad(d.getUTCMonth() + 1, 2);
      case 'M':
        return (d) => String(d.getUTCMonth() + 1);
      case 'DD':
        return (d) => pad(d.getUTCDate(), 2);
      case 'D':
        return (d) => String(d.getUTCDate());
      case 'HH':
        return (d) => pad(d.getUTCHours(), 2);
      case 'H':
        return (d) => String(d.getUTCHours());
      case 'hh':
        return (d) => pad(d.getUTCHours() % 12 || 12, 2);
      case 'h':
        return (d) => String(d.getUTCHours() % 12 || 12);
      case 'mm':
        return (d) => pad(d.getUTCMinutes(), 2);
      case 'ss':
        return (d) => pad(d.getUTCSeconds(), 2);
      case 'SSS':
        return (d) => pad(d.getUTCMilliseconds(), 3);
      case 'A':
        return (d) => (d.getUTCHours() < 12 ? 'AM' : 'PM');
      case 'a':
        return (d) => (d.getUTCHours() < 12 ? 'am' : 'pm');
      case 'ZZ':
        return () => '+00:00';
      default:
        return () => 'Z';
    }
  });
  return (ms) => {
    const d = new Date(ms);
    let out = '';
    for (const part of parts) out += part(d);
    return out;
  };
};

/** '00'..'99', so two-digit fields need no padding call. */
const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => (i < 10 ? `0${i}` : String(i)));
const SHORT_MONTHS = MONTHS.map((m) => m.slice(0, 3));

/** Field codes of the fast formatter, one per token. */
const CODES: Record<string, number> = {
  YYYY: 1,
  YY: 2,
  MMMM: 3,
  MMM: 4,
  MM: 5,
  M: 6,
  DD: 7,
  D: 8,
  HH: 9,
  H: 10,
  hh: 11,
  h: 12,
  mm: 13,
  ss: 14,
  SSS: 15,
  A: 16,
  a: 17,
  ZZ: 18,
};

/**
 * Compiles a format into a function writing epoch milliseconds as UTC text. The calendar fields
 * come from integer arithmetic (days to civil date, Hinnant's algorithm), not a Date per value:
 * the sampler writes millions of dates.
 */
export const dateFormatter = (format: string): ((ms: number) => string) => {
  const unit = epochUnit(format);
  if (unit !== undefined) return (ms) => String(Math.floor(ms / unit));
  const slow = slowFormatter(format);
  const tokens = tokenize(format);
  const codes = Int32Array.from(tokens, (t) => ('literal' in t ? 0 : (CODES[t.token] ?? 19)));
  const literals = tokens.map((t) => ('literal' in t ? t.literal : ''));
  const count = codes.length;
  return (ms) => {
    const days = Math.floor(ms / DAY_MS);
    // Civil date from days since 1970-01-01, proleptic Gregorian.
    const z = days + 719_468;
    const era = Math.floor(z / 146_097);
    const doe = z - era * 146_097;
    const yoe = Math.floor(
      (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
    );
    const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
    const mp = Math.floor((5 * doy + 2) / 153);
    const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
    const month = mp < 10 ? mp + 3 : mp - 9;
    const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
    if (!(year >= 0 && year <= 9999)) return slow(ms);
    const within = ms - days * DAY_MS;
    const hour = Math.floor(within / 3_600_000);
    const minute = Math.floor(within / 60_000) % 60;
    const second = Math.floor(within / 1000) % 60;
    let out = '';
    for (let i = 0; i < count; i++) {
      switch (codes[i]) {
        case 0:
          out += literals[i];
          break;
        case 1:
          out += year >= 1000 ? String(year) : pad(year, 4);
          break;
        case 2:
          out += TWO_DIGITS[year % 100];
          break;
        case 3:
          out += MONTHS[month - 1];
          break;
        case 4:
          out += SHORT_MONTHS[month - 1];
          break;
        case 5:
          out += TWO_DIGITS[month];
          break;
        case 6:
          out += month;
          break;
        case 7:
          out += TWO_DIGITS[day];
          break;
        case 8:
          out += day;
          break;
        case 9:
          out += TWO_DIGITS[hour];
          break;
        case 10:
          out += hour;
          break;
        case 11:
          out += TWO_DIGITS[hour % 12 || 12];
          break;
        case 12:
          out += hour % 12 || 12;
          break;
        case 13:
          out += TWO_DIGITS[minute];
          break;
        case 14:
          out += TWO_DIGITS[second];
          break;
        case 15:
          out += pad(Math.floor(within % 1000), 3);
          break;
        case 16:
          out += hour < 12 ? 'AM' : 'PM';
          break;
        case 17:
          out += hour < 12 ? 'am' : 'pm';
          break;
        case 18:
          out += '+00:00';
          break;
        default:
          out += 'Z';
      }
    }
    return out;
  };
};

const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const PATTERN: Record<string, string> = {
  YYYY: '(\\d{4})',
  YY: '(\\d{2})',
  MMMM: '([A-Za-z]+)',
  MMM: '([A-Za-z]{3})',
  MM: '(\\d{2})',
  M: '(\\d{1,2})',
  DD: '(\\d{2})',
  D: '(\\d{1,2})',
  HH: '(\\d{2})',
  H: '(\\d{1,2})',
  hh: '(\\d{2})',
  h: '(\\d{1,2})',
  mm: '(\\d{2})',
  ss: '(\\d{2})',
  SSS: '(\\d{1,9})',
  A: '([AaPp][Mm])',
  a: '([AaPp][Mm])',
  ZZ: '(Z|[+-]\\d{2}:?\\d{2})',
  Z: '(Z|[+-]\\d{2}:?\\d{2})',
};

/** Compiles a format into a parser from text to epoch milliseconds (null when the text does not fit). */
export const dateParser = (format: string): ((text: string) => number | null) => {
  const unit = epochUnit(format);
  if (unit !== undefined) {
    return (text) => {
      const v = text.trim();
      return /^-?\d{1,16}$/.test(v) ? Number(v) * unit : null;
    };
  }
  const tokens = tokenize(format);
  const fields: string[] = [];
  let source = '^';
  for (const t of tokens) {
    if ('literal' in t) source += escapeRegex(t.literal);
    else {
      source += PATTERN[t.token] ?? '';
      fields.push(t.token);
    }
  }
  const regex = new RegExp(`${source}$`);
  return (text) => {
    const match = regex.exec(text.trim());
    if (match === null) return null;
    let year = 1970;
    let month = 1;
    let day = 1;
    let hour = 0;
    let minute = 0;
    let second = 0;
    let milli = 0;
    let offset = 0;
    let pm: boolean | undefined;
    fields.forEach((field, i) => {
      const v = match[i + 1] ?? '';
      switch (field) {
        case 'YYYY':
          year = Number(v);
          break;
        case 'YY':
          year = Number(v) + (Number(v) < 50 ? 2000 : 1900);
          break;
        case 'MMMM':
        case 'MMM':
          month = MONTHS.findIndex((m) => m.toLowerCase().startsWith(v.toLowerCase().slice(0, 3))) + 1;
          break;
        case 'MM':
        case 'M':
          month = Number(v);
          break;
        case 'DD':
        case 'D':
          day = Number(v);
          break;
        case 'HH':
        case 'H':
        case 'hh':
        case 'h':
          hour = Number(v);
          break;
        case 'mm':
          minute = Number(v);
          break;
        case 'ss':
          second = Number(v);
          break;
        case 'SSS':
          milli = Math.floor(Number(`0.${v}`) * 1000);
          break;
        case 'A':
        case 'a':
          pm = v.toLowerCase() === 'pm';
          break;
        default:
          if (v !== 'Z') {
            const sign = v.startsWith('-') ? -1 : 1;
            const digits = v.slice(1).replace(':', '');
            offset = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000;
          }
      }
    });
    if (pm !== undefined) hour = (hour % 12) + (pm ? 12 : 0);
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
      return null;
    const ms = Date.UTC(year, month - 1, day, hour, minute, second, milli);
    // Reject dates that do not exist (Feb 30 rolls over into March).
    if (new Date(ms).getUTCDate() !== day) return null;
    return ms - offset;
  };
};

const CANDIDATES = [
  'YYYY-MM-DD',
  'YYYY/MM/DD',
  'MM/DD/YYYY',
  'DD/MM/YYYY',
  'M/D/YYYY',
  'D/M/YYYY',
  'DD.MM.YYYY',
  'DD-MM-YYYY',
  'MM-DD-YYYY',
  'YYYYMMDD',
  'DD MMM YYYY',
  'MMM D, YYYY',
  'YYYY-MM-DDTHH:mm:ssZ',
  'YYYY-MM-DDTHH:mm:ss.SSSZ',
  'YYYY-MM-DDTHH:mm:ss',
  'YYYY-MM-DDTHH:mm:ss.SSS',
  'YYYY-MM-DDTHH:mmZ',
  'YYYY-MM-DDTHH:mm',
  'YYYY-MM-DD HH:mm:ss',
  'YYYY-MM-DD HH:mm:ss.SSS',
  'YYYY-MM-DD HH:mm',
  'MM/DD/YYYY HH:mm:ss',
  'MM/DD/YYYY HH:mm',
  'MM/DD/YYYY h:mm A',
];

/**
 * The first common format that reads at least 95% of the values (up to 500 looked at); used when
 * a profile names none. Falls back to ISO.
 */
export const detectDateFormat = (values: readonly string[], dateOnly: boolean): string => {
  const sample = values.slice(0, 500);
  if (sample.length > 0) {
    for (const format of CANDIDATES) {
      const parse = dateParser(format);
      let ok = 0;
      for (const v of sample) if (parse(v) !== null) ok++;
      if (ok >= sample.length * 0.95) return format;
    }
  }
  return dateOnly ? 'YYYY-MM-DD' : 'YYYY-MM-DDTHH:mm:ssZ';
};

/** Midnight UTC of the day holding ms. */
export const startOfDay = (ms: number): number => Math.floor(ms / DAY_MS) * DAY_MS;
