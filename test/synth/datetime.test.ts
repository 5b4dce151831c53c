import { describe, expect, it } from 'vitest';
import { dateFormatter, dateParser, detectDateFormat } from '../../src/synth/datetime.ts';

describe('date formats', () => {
  it('writes back exactly what it read, for the common layouts', () => {
    const cases: [string, string][] = [
      ['YYYY-MM-DD', '2024-02-29'],
      ['MM/DD/YYYY', '07/04/2023'],
      ['DD.MM.YYYY', '31.12.1999'],
      ['M/D/YYYY', '7/4/2023'],
      ['DD MMM YYYY', '05 Mar 2021'],
      ['YYYY-MM-DDTHH:mm:ssZ', '2024-01-15T08:30:05Z'],
      ['YYYY-MM-DDTHH:mm:ss.SSSZ', '2024-01-15T08:30:05.250Z'],
      ['YYYY-MM-DD HH:mm', '2024-01-15 23:59'],
      ['MM/DD/YYYY h:mm A', '01/15/2024 3:07 PM'],
    ];
    for (const [format, text] of cases) {
      const ms = dateParser(format)(text);
      expect(ms, `${format} reads ${text}`).not.toBeNull();
      expect(dateFormatter(format)(ms as number)).toBe(text);
    }
  });

  it('reads offsets into UTC and refuses days that do not exist', () => {
    expect(dateParser('YYYY-MM-DDTHH:mm:ssZ')('2024-01-15T10:00:00+02:00')).toBe(Date.UTC(2024, 0, 15, 8));
    expect(dateParser('YYYY-MM-DD')('2023-02-29')).toBeNull();
    expect(dateParser('YYYY-MM-DD')('2023-13-01')).toBeNull();
  });

  it('detects the layout when the profile names none', () => {
    expect(detectDateFormat(['2024-01-02', '2023-12-31'], true)).toBe('YYYY-MM-DD');
    expect(detectDateFormat(['01/02/2024', '12/31/2023'], true)).toBe('MM/DD/YYYY');
    // A day above 12 in the first place rules out month-first.
    expect(detectDateFormat(['01/02/2024', '31/12/2023'], true)).toBe('DD/MM/YYYY');
    expect(detectDateFormat(['2024-01-02T03:04:05Z'], false)).toBe('YYYY-MM-DDTHH:mm:ssZ');
  });
});
