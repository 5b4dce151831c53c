/**
 * `doppel profile` on the public vega tables the tests use: the kinds and alerts a person reading
 * the profile would agree with, and none they would find silly.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ColumnProfile, Profile } from '../../src/contracts.ts';
import { profileFile } from '../../src/profile/profile-seed.ts';
import { type Cell, toCsv } from '../../src/table.ts';
import { doppel } from '../helpers/cli.ts';
import { vegaCsv } from '../helpers/vega.ts';

const DATA = new URL('../../node_modules/vega-datasets/data/', import.meta.url);
const folder = mkdtempSync(join(tmpdir(), 'doppel-vega-'));

/** The path of a vega table as a seed file: CSV as shipped, JSON written as CSV. */
const seedFile = (name: string): string => {
  if (name.endsWith('.csv')) return fileURLToPath(new URL(name, DATA));
  const path = join(folder, `${name}.csv`);
  if (name === 'penguins.json' || name === 'cars.json' || name === 'movies.json') {
    writeFileSync(path, vegaCsv(name));
  } else {
    const records = JSON.parse(readFileSync(new URL(name, DATA), 'utf8')) as Record<string, unknown>[];
    const columns = Object.keys(records[0] ?? {});
    const cell = (v: unknown): Cell => (v === null || v === undefined ? null : String(v));
    writeFileSync(path, toCsv({ columns, rows: records.map((r) => columns.map((c) => cell(r[c]))) }));
  }
  return path;
};

const profileOf = async (name: string): Promise<Record<string, ColumnProfile>> => {
  const { profile } = await profileFile(seedFile(name), name, { seed: 1 });
  return Object.fromEntries(profile.columns.map((c) => [c.name, c]));
};

/** The alerts of a column by their name only ('skewed', 'zeros'…), sorted. */
const kinds = (column: ColumnProfile | undefined): string[] =>
  (column?.alerts ?? []).map((a) => a.slice(0, a.indexOf(':'))).sort();

describe('profiles of the public vega tables', () => {
  it('penguins: clean measurements, a few missing sexes, nothing to alert', async () => {
    // Act
    const columns = await profileOf('penguins.json');
    // Assess
    expect(columns.Sex).toMatchObject({ kind: 'categorical', nulls: 10 });
    expect(columns['Body Mass (g)']?.kind).toBe('integer');
    expect(columns['Beak Length (mm)']).toMatchObject({ kind: 'float', decimals: 1 });
    for (const column of Object.values(columns)) expect(kinds(column), column.name).toEqual([]);
  });

  it('cars: a year column read as a date, and no alerts', async () => {
    // Act
    const columns = await profileOf('cars.json');
    // Assess
    expect(columns.Year).toMatchObject({ kind: 'date', format: 'YYYY-MM-DD' });
    expect(columns.Horsepower).toMatchObject({ kind: 'integer', nulls: 6 });
    for (const column of Object.values(columns)) expect(kinds(column), column.name).toEqual([]);
  });

  it('movies: sparse sales and running times, skewed grosses, release dates with month names', async () => {
    // Act
    const columns = await profileOf('movies.json');
    // Assess
    expect(columns['Release Date']).toMatchObject({ kind: 'date', format: 'MMM DD YYYY' });
    expect(columns['US DVD Sales']?.alerts).toContain('high-missing: 82% of values are missing');
    // 564 distinct sales figures are measurements, not a key.
    expect(kinds(columns['US DVD Sales'])).toEqual(['high-missing', 'skewed']);
    expect(columns['Running Time min']?.alerts).toContain('high-missing: 62% of values are missing');
    expect(kinds(columns['Worldwide Gross'])).toEqual(['skewed']);
    expect(kinds(columns.Distributor)).toEqual(['high-cardinality']);
    // A handful of titles like '1776' do not make the titles a mixed column.
    expect(kinds(columns.Title)).toEqual([]);
    // Directors are people, though each directs many films: their names are PII, the titles are not.
    expect(columns.Director?.semantic?.type).toBe('person_name');
    expect(columns.Title?.semantic).toBeUndefined();
    for (const name of ['MPAA Rating', 'Major Genre', 'Creative Type', 'IMDB Rating']) {
      expect(kinds(columns[name]), name).toEqual([]);
    }
  });

  it('seattle-weather: dry days as zeros in a skewed precipitation, a balanced weather column', async () => {
    // Act
    const columns = await profileOf('seattle-weather.csv');
    // Assess
    expect(columns.date).toMatchObject({ kind: 'date', format: 'YYYY-MM-DD', min: '2012-01-01' });
    expect(kinds(columns.precipitation)).toEqual(['skewed', 'zeros']);
    // sun and rain hold 44% each: five classes, not imbalanced.
    expect(columns.weather?.kind).toBe('categorical');
    for (const name of ['weather', 'temp_max', 'temp_min', 'wind', 'date']) {
      expect(kinds(columns[name]), name).toEqual([]);
    }
  });

  it('birdstrikes: most strikes without damage or cost, speeds often missing', async () => {
    // Act
    const columns = await profileOf('birdstrikes.csv');
    // Assess
    expect(columns['Effect Amount of damage']?.alerts).toEqual([
      'imbalanced: the most frequent value holds 89% of non-null values',
    ]);
    expect(columns['Speed IAS in knots']?.alerts).toEqual(['high-missing: 28% of values are missing']);
    for (const name of ['Cost Other', 'Cost Repair', 'Cost Total $']) {
      expect(kinds(columns[name]), name).toEqual(['skewed', 'zeros']);
    }
    for (const name of ['Airport Name', 'Flight Date', 'Wildlife Size', 'Time of day', 'Phase of flight']) {
      expect(kinds(columns[name]), name).toEqual([]);
    }
  });

  it('flights, stocks and github: datetimes with slashes and dates with month names', async () => {
    // Act
    const flights = await profileOf('flights-2k.json');
    const stocks = await profileOf('stocks.csv');
    const github = await profileOf('github.csv');
    // Assess
    expect(flights.date).toMatchObject({ kind: 'datetime', format: 'YYYY/MM/DD HH:mm' });
    expect(kinds(flights.delay)).toEqual(['skewed']);
    expect(stocks.date).toMatchObject({ kind: 'date', format: 'MMM D YYYY', min: 'Jan 1 2000' });
    expect(github.time).toMatchObject({ kind: 'datetime', format: 'YYYY/MM/DD HH:mm:ss' });
  });

  it('airports: a unique code and a country column that is almost all USA', async () => {
    // Act
    const columns = await profileOf('airports.csv');
    // Assess
    expect(columns.iata?.alerts).toEqual(['unique: every non-null value is distinct (ID-like)']);
    expect(kinds(columns.country)).toEqual(['imbalanced']);
    expect(kinds(columns.latitude)).toEqual([]);
  });

  it('prints the alerts through `doppel profile`', async () => {
    // Act
    const result = await doppel(['profile', seedFile('birdstrikes.csv')]);
    // Assess
    expect(result.code).toBe(0);
    const profile = JSON.parse(result.stdout) as Profile;
    const damage = profile.columns.find((c) => c.name === 'Effect Amount of damage');
    expect(damage?.alerts).toEqual(['imbalanced: the most frequent value holds 89% of non-null values']);
  });
});
