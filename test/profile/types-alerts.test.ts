import { describe, expect, it } from 'vitest';
import type { ColumnProfile } from '../../src/contracts.ts';
import { ColumnStats, mostFrequent } from '../../src/profile/infer.ts';
import { profileSource } from '../../src/profile/profile-seed.ts';
import { createRng } from '../../src/random.ts';
import { dateFormatter, dateParser } from '../../src/synth/datetime.ts';
import { fitModel } from '../../src/synth/fit.ts';
import { sampleShard } from '../../src/synth/sample.ts';
import { type Cell, type Table, toCsv } from '../../src/table.ts';
import { chunked } from '../helpers/byte-stream.ts';

const profileText = (text: string, name = 'seed.csv') =>
  profileSource(chunked(text, 4096), name, { seed: 3 });
const profileTable = (table: Table) => profileText(toCsv(table));
const byName = (columns: ColumnProfile[]): Record<string, ColumnProfile> =>
  Object.fromEntries(columns.map((c) => [c.name, c]));

/** One column of `n` rows, `cell(i)` each. */
const column = (name: string, n: number, cell: (i: number) => Cell): Table => ({
  columns: [name],
  rows: Array.from({ length: n }, (_, i) => [cell(i)]),
});

/** Several columns of `n` rows. */
const table = (n: number, cells: Record<string, (i: number) => Cell>): Table => ({
  columns: Object.keys(cells),
  rows: Array.from({ length: n }, (_, i) => Object.values(cells).map((cell) => cell(i))),
});

const JAN_2024_S = 1_704_067_200;

describe('dates written as numbers', () => {
  it('reads epoch seconds and milliseconds in a column whose name says time, and only there', async () => {
    // Prepare: the same numbers under a time name and under a plain one.
    const rng = createRng(1);
    const seconds = Array.from({ length: 300 }, () => JAN_2024_S + rng.int(86_400 * 365));
    const seed = table(300, {
      created_at: (i) => String(seconds[i]),
      event_ts: (i) => String(seconds[i]! * 1000 + rng.int(1000)),
      amount: (i) => String(seconds[i]),
      updated: (i) => String(seconds[i]),
    });
    // Act
    const columns = byName((await profileTable(seed)).profile.columns);
    // Assess
    expect(columns.created_at).toMatchObject({ kind: 'datetime', format: 'epoch_s' });
    expect(columns.created_at?.min).toBe(String(Math.min(...seconds)));
    expect(columns.event_ts).toMatchObject({ kind: 'datetime', format: 'epoch_ms' });
    expect(columns.updated).toMatchObject({ kind: 'datetime', format: 'epoch_s' });
    // A bare integer column never becomes a date, whatever its range.
    expect(columns.amount?.kind).toBe('integer');
    expect(columns.amount?.format).toBeUndefined();
  });

  it('keeps a time-named integer outside the plausible epoch range an integer', async () => {
    // Prepare: durations in seconds, and small counters named like times.
    const seed = table(200, {
      wait_time: (i) => String(30 + i),
      created_at: (i) => String(i % 50),
    });
    // Act
    const columns = byName((await profileTable(seed)).profile.columns);
    // Assess
    expect(columns.wait_time?.kind).toBe('integer');
    expect(columns.created_at?.kind).toBe('integer');
  });

  it('reads YYYYMMDD integers as dates, and 8-digit numbers that are not all days as integers', async () => {
    // Prepare
    const day = (i: number) =>
      `20${String(10 + (i % 14))}${String(1 + (i % 12)).padStart(2, '0')}${String(1 + (i % 28)).padStart(2, '0')}`;
    const seed = table(250, {
      order_day: day,
      batch: day,
      order_no: (i) => String(20_240_100 + i * 37), // '20240137' is no day
      customer_id: day,
    });
    // Act
    const columns = byName((await profileTable(seed)).profile.columns);
    // Assess
    expect(columns.order_day).toMatchObject({ kind: 'date', format: 'YYYYMMDD' });
    expect(columns.order_day?.min).toBe('20100101');
    // Every value a real day in a plausible year: a date even without a name hint.
    expect(columns.batch).toMatchObject({ kind: 'date', format: 'YYYYMMDD' });
    expect(columns.order_no?.kind).toBe('integer');
    // A key stays a key.
    expect(columns.customer_id?.kind).not.toBe('date');
  });

  it("writes synthetic epoch and YYYYMMDD values in the seed's own format", async () => {
    // Prepare
    const rng = createRng(2);
    const seed = table(400, {
      created_at: () => String(JAN_2024_S + rng.int(86_400 * 90)),
      ts: () => String((JAN_2024_S + rng.int(86_400 * 90)) * 1000 + rng.int(1000)),
      ship_date: (i) =>
        `2023${String(1 + (i % 12)).padStart(2, '0')}${String(1 + (i % 28)).padStart(2, '0')}`,
      qty: (i) => String(1 + (i % 9)),
    });
    const { profile, train } = await profileTable(seed);
    // Act
    const model = fitModel(profile, train, { seed: 4, rareCategoryMin: 2 });
    const synthetic = sampleShard(model, { rows: 500, seed: 5, shard: 0 });
    // Assess: modelled as points in time, written back as the seed wrote them.
    const marginal = (name: string) => model.columns.find((c) => c.name === name)?.marginal;
    expect(marginal('created_at')).toMatchObject({ type: 'datetime', format: 'epoch_s', dateOnly: false });
    expect(marginal('ts')).toMatchObject({ type: 'datetime', format: 'epoch_ms' });
    expect(marginal('ship_date')).toMatchObject({ type: 'datetime', format: 'YYYYMMDD', dateOnly: true });
    const at = (name: string) => synthetic.columns.indexOf(name);
    const values = (name: string) => synthetic.rows.map((r) => r[at(name)]).filter((v) => v !== null);
    const lo = JAN_2024_S - 86_400;
    const hi = JAN_2024_S + 86_400 * 91;
    for (const v of values('created_at')) {
      expect(v).toMatch(/^\d{10}$/);
      expect(Number(v)).toBeGreaterThanOrEqual(lo);
      expect(Number(v)).toBeLessThanOrEqual(hi);
    }
    for (const v of values('ts')) {
      expect(v).toMatch(/^\d{13}$/);
      expect(Number(v)).toBeGreaterThanOrEqual(lo * 1000);
      expect(Number(v)).toBeLessThanOrEqual(hi * 1000);
    }
    const readDay = dateParser('YYYYMMDD');
    for (const v of values('ship_date')) {
      expect(v).toMatch(/^2023\d{4}$/);
      expect(readDay(v as string)).not.toBeNull();
    }
    expect(values('created_at').length).toBeGreaterThan(450);
  });

  it('parses and writes the epoch formats exactly', () => {
    expect(dateParser('epoch_s')('1704067200')).toBe(Date.UTC(2024, 0, 1));
    expect(dateFormatter('epoch_s')(Date.UTC(2024, 0, 1, 0, 0, 1, 999))).toBe('1704067201');
    expect(dateParser('epoch_ms')('1704067200123')).toBe(Date.UTC(2024, 0, 1) + 123);
    expect(dateFormatter('epoch_ms')(Date.UTC(2024, 0, 1) + 123)).toBe('1704067200123');
    expect(dateParser('epoch_s')('2024-01-01')).toBeNull();
    expect(dateFormatter('YYYYMMDD')(dateParser('YYYYMMDD')('20240229') as number)).toBe('20240229');
  });
});

describe('dates with month names and slashes', () => {
  it('reads the layouts of real exports, each with a format that writes them back', async () => {
    // Prepare
    const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    const seed = table(120, {
      released: (i) => `${months[i % 12]} ${String(1 + (i % 28)).padStart(2, '0')} ${1990 + (i % 30)}`,
      quoted: (i) => `${months[i % 12]} ${1 + (i % 28)} ${1990 + (i % 30)}`,
      logged: (i) => `2015/0${1 + (i % 9)}/1${i % 10} 0${i % 10}:${10 + (i % 50)}:00`,
    });
    // Act
    const { profile, train } = await profileTable(seed);
    const columns = byName(profile.columns);
    // Assess
    expect(columns.released).toMatchObject({ kind: 'date', format: 'MMM DD YYYY' });
    expect(columns.quoted).toMatchObject({ kind: 'date', format: 'MMM D YYYY' });
    expect(columns.logged).toMatchObject({ kind: 'datetime', format: 'YYYY/MM/DD HH:mm:ss' });
    for (const name of ['released', 'quoted', 'logged']) {
      const format = columns[name]!.format!;
      const [read, write] = [dateParser(format), dateFormatter(format)];
      const at = train.columns.indexOf(name);
      for (const row of train.rows) expect(write(read(row[at] as string) as number)).toBe(row[at]);
    }
  });

  it('leaves upper-case or misspelt month names as text', async () => {
    // Act
    const { profile } = await profileTable(
      column('when', 50, (i) => (i === 7 ? 'JUN 12 1998' : 'Jun 12 1998')),
    );
    // Assess
    expect(profile.columns[0]?.kind).not.toBe('date');
  });
});

describe('numbers stored as strings', () => {
  it('reads quoted CSV numbers and JSON string numbers as numbers', async () => {
    // Prepare
    const csv = `qty,price\n${Array.from({ length: 40 }, (_, i) => `"${i}","${i}.25"`).join('\n')}\n`;
    const jsonl = Array.from({ length: 40 }, (_, i) =>
      JSON.stringify({ qty: String(i), price: `${i}.25` }),
    ).join('\n');
    // Act
    const fromCsv = byName((await profileText(csv)).profile.columns);
    const fromJsonl = byName((await profileText(jsonl, 'seed.jsonl')).profile.columns);
    // Assess
    for (const columns of [fromCsv, fromJsonl]) {
      expect(columns.qty?.kind).toBe('integer');
      expect(columns.price).toMatchObject({ kind: 'float', decimals: 2 });
    }
  });

  it('reads every decimal as exactly the number JavaScript reads from it, short or long', () => {
    // Prepare: random decimals of 1 to 18 digits, signs, leading and trailing points, exponents
    const rng = createRng(5);
    const digits = (n: number) =>
      Array.from({ length: n }, () => String(Math.floor(rng.next() * 10))).join('');
    const values = ['0', '-0', '0.1', '0.7', '1.005', '.5', '-.25', '5.', '+3.75', '123456789012.345'];
    for (let i = 0; i < 3000; i++) {
      const whole =
        rng.next() < 0.2 ? '0' : `${1 + Math.floor(rng.next() * 9)}${digits(Math.floor(rng.next() * 9))}`;
      const places = Math.floor(rng.next() * 10);
      const sign = ['', '-', '+'][Math.floor(rng.next() * 3)];
      // ('0e4' is no number here: a leading zero followed by anything but a point makes a code)
      const exponent = whole !== '0' && rng.next() < 0.1 ? `e${Math.floor(rng.next() * 40) - 20}` : '';
      values.push(`${sign}${whole}${places > 0 ? `.${digits(places)}` : ''}${exponent}`);
    }

    // Act: each value on its own, so its min is the number read from it
    const read = values.map((v) => {
      const stats = new ColumnStats('x');
      stats.add(v);
      return stats.summarize(stats.infer(), { keepTop: false }).min;
    });

    // Assess: the same double as Number(), -0 included
    const wrong = values.filter((v, i) => !Object.is(read[i], Number(v)));
    expect(wrong).toEqual([]);
  });

  it('says when numbers are written for people (separators, currency, percent) and kept as text', async () => {
    // Prepare
    const seed = table(200, {
      revenue: (i) => `$${(1000 + i * 137).toLocaleString('en-US')}.50`,
      growth: (i) => `${i % 40}%`,
    });
    // Act
    const columns = byName((await profileTable(seed)).profile.columns);
    // Assess
    expect(columns.revenue?.kind).not.toBe('float');
    expect(columns.revenue?.alerts).toContainEqual(expect.stringMatching(/^numbers-as-text: /));
    expect(columns.growth?.alerts).toContainEqual(expect.stringMatching(/^numbers-as-text: /));
    expect(columns.revenue?.alerts.some((a) => a.startsWith('mixed'))).toBe(false);
  });
});

describe('mixed columns', () => {
  it('reports the share of each kind of value', async () => {
    // Prepare: 70% integers, 30% words; 99.5% dates with a stray word.
    const seed = table(1000, {
      size: (i) => (i % 10 < 7 ? String(10 + (i % 7)) : ['small', 'medium', 'large'][i % 3]!),
      opened: (i) => (i === 500 ? 'unknown' : `2024-01-${String(1 + (i % 28)).padStart(2, '0')}`),
    });
    // Act
    const columns = byName((await profileTable(seed)).profile.columns);
    // Assess
    expect(columns.size?.alerts).toContainEqual('mixed: 70% integer, 30% text');
    expect(columns.opened?.kind).not.toBe('date');
    expect(columns.opened?.alerts).toContainEqual('mixed: >99% date, <1% text');
  });

  it('does not call text mixed for a few numeric titles, nor a numeric column for null tokens', async () => {
    // Prepare
    const words = ['red fox', 'blue sky', 'green field', 'old town', 'new moon'];
    const seed = table(600, {
      title: (i) => (i % 100 === 0 ? String(1900 + i / 100) : `${words[i % 5]} ${i}`),
      reading: (i) => (i % 9 === 0 ? 'NA' : String(i * 2)),
    });
    // Act
    const columns = byName((await profileTable(seed)).profile.columns);
    // Assess
    expect(columns.title?.alerts.some((a) => a.startsWith('mixed'))).toBe(false);
    expect(columns.reading?.kind).toBe('integer');
    expect(columns.reading?.alerts.some((a) => a.startsWith('mixed'))).toBe(false);
  });

  it('counts the shapes of values seen past the distinct cap', async () => {
    // Prepare: 30,000 distinct values, every fourth a word.
    const seed = column('ref', 30_000, (i) => (i % 4 === 0 ? `item-${i}` : String(100_000 + i)));
    // Act
    const { profile } = await profileTable(seed);
    // Assess
    expect(profile.columns[0]?.alerts).toContainEqual('mixed: 75% integer, 25% text');
  });
});

describe('alerts', () => {
  it('calls a category imbalanced by its entropy, as ydata-profiling does', async () => {
    // Prepare: 89% one value of six (birdstrikes' damage), and an even split of five.
    const damage = ['Minor', 'Substantial', 'Medium', 'Destroyed', 'Unknown'];
    const seed = table(1000, {
      damage: (i) => (i < 890 ? 'None' : damage[i % 5]!),
      weather: (i) => ['sun', 'rain', 'fog', 'drizzle', 'snow'][i < 440 ? 0 : i < 880 ? 1 : i % 5]!,
    });
    // Act
    const columns = byName((await profileTable(seed)).profile.columns);
    // Assess
    expect(columns.damage?.alerts).toContainEqual(
      'imbalanced: the most frequent value holds 89% of non-null values',
    );
    expect(columns.weather?.alerts.some((a) => a.startsWith('imbalanced'))).toBe(false);
  });

  it('flags unique keys but not unique measurements, mostly-zero columns and missing shares', async () => {
    // Prepare
    const rng = createRng(9);
    const seed = table(500, {
      row: (i) => String(1000 + i),
      gross: (i) => String(1_000_000 + i * 7919 + rng.int(7000)),
      cost: (i) => (i % 50 === 0 ? String(100 + i) : '0'),
      speed: (i) => (i % 10 < 3 ? null : String(100 + (i % 40))),
      weight: (i) => (i % 20 === 0 ? null : String(60 + (i % 30))),
    });
    // Act
    const columns = byName((await profileTable(seed)).profile.columns);
    // Assess
    expect(columns.row?.alerts).toContainEqual(expect.stringMatching(/^unique: /));
    expect(columns.gross?.alerts.some((a) => a.startsWith('unique'))).toBe(false);
    expect(columns.cost?.alerts).toContainEqual('zeros: 98% of values are 0');
    expect(columns.speed?.alerts).toContainEqual('high-missing: 30% of values are missing');
    expect(columns.weight?.alerts.some((a) => a.startsWith('high-missing'))).toBe(false);
  });

  it('never reports more distinct values than values past the distinct cap', async () => {
    // Act
    const { profile } = await profileTable(column('code', 20_000, (i) => `c${i}`));
    // Assess
    expect(profile.columns[0]?.distinct).toBeLessThanOrEqual(20_000);
  });
});

describe('ColumnStats.merge keeps the new checks', () => {
  it('infers the same kind and shapes from two merged parts as from one pass', () => {
    // Prepare
    const values = (i: number) => [
      `2023${String(1 + (i % 12)).padStart(2, '0')}${String(1 + (i % 28)).padStart(2, '0')}`,
      `Mar ${String(1 + (i % 28)).padStart(2, '0')} 2001`,
      i % 4 === 0 ? `w${i}` : String(50_000 + i),
    ];
    const names = ['day', 'released', 'ref'];
    const whole = names.map((n) => new ColumnStats(n));
    const parts = [names.map((n) => new ColumnStats(n)), names.map((n) => new ColumnStats(n))];
    for (let i = 0; i < 24_000; i++) {
      values(i).forEach((v, c) => {
        whole[c]!.add(v);
        parts[i < 12_000 ? 0 : 1]![c]!.add(v);
      });
    }
    // Act
    for (const [c, s] of parts[0]!.entries()) s.merge(parts[1]![c]!);
    // Assess
    names.forEach((_, c) => {
      const [a, b] = [whole[c]!, parts[0]![c]!];
      const [ia, ib] = [a.infer(), b.infer()];
      expect(ib).toEqual(ia);
      const [sa, sb] = [a.summarize(ia, { keepTop: false }), b.summarize(ib, { keepTop: false })];
      expect([sb.min, sb.max]).toEqual([sa.min, sa.max]);
      expect(sb.shapes).toEqual(sa.shapes);
    });
    expect(whole[0]!.infer()).toMatchObject({ kind: 'date', format: 'YYYYMMDD' });
    expect(whole[1]!.infer()).toMatchObject({ kind: 'date', format: 'MMM DD YYYY' });
  });
});

describe('mostFrequent', () => {
  it('lists what sorting every value by count, then by value, and taking the first k gives, once-seen values left out', () => {
    // Prepare: 5,000 values, counts 1 to 40 (many ties), in a random order
    const rng = createRng(11);
    const entries: [string, number][] = Array.from({ length: 5000 }, (_, i) => [`v${i}`, 1 + rng.int(40)]);
    const sorted = entries.filter(([, c]) => c >= 2).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));

    // Act / Assess
    for (const k of [1, 20, 300]) expect(mostFrequent(entries, k)).toEqual(sorted.slice(0, k));
    expect(
      mostFrequent(
        [
          ['a', 1],
          ['b', 3],
          ['c', 2],
        ],
        20,
      ),
    ).toEqual([
      ['b', 3],
      ['c', 2],
    ]);
  });
});
