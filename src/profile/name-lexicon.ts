/**
 * Given names and family names of several locales (faker's lists, drawn from census and registry
 * data), folded for lookup. A profile loads them from name-lexicon-data.ts, which holds the folded
 * lists as two strings: building them from faker's locale modules (large: every locale's
 * addresses, words and more) took 60-80 ms of every profile, the parsed lists take under 10.
 * test/profile/name-lexicon.test.ts keeps that file equal to what faker gives.
 */
export interface NameLexicon {
  given: Set<string>;
  family: Set<string>;
}

/** Lowercase, without accents, so 'Chloé' and 'CHLOE' meet. */
export const foldName = (s: string): string => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

/** The lexicon as a profile uses it. */
export const loadNameLexicon = async (): Promise<NameLexicon> => {
  const { GIVEN, FAMILY } = await import('./name-lexicon-data.ts');
  return { given: new Set(GIVEN.split('\n')), family: new Set(FAMILY.split('\n')) };
};

/** The lexicon built from faker's locale modules: the source of name-lexicon-data.ts. */
export const buildNameLexicon = async (): Promise<NameLexicon> => {
  const locales = await Promise.all([
    import('@faker-js/faker/locale/en'),
    import('@faker-js/faker/locale/de'),
    import('@faker-js/faker/locale/en_IN'),
    import('@faker-js/faker/locale/es'),
    import('@faker-js/faker/locale/fr'),
    import('@faker-js/faker/locale/it'),
    import('@faker-js/faker/locale/nl'),
    import('@faker-js/faker/locale/pl'),
    import('@faker-js/faker/locale/pt_BR'),
    import('@faker-js/faker/locale/sv'),
  ]);
  const given = new Set<string>();
  const family = new Set<string>();
  const add = (target: Set<string>, group: unknown) => {
    if (group === null || typeof group !== 'object') return;
    for (const list of Object.values(group as Record<string, unknown>)) {
      if (!Array.isArray(list)) continue;
      for (const name of list) if (typeof name === 'string') target.add(foldName(name));
    }
  };
  for (const { faker } of locales) {
    const person = (faker.rawDefinitions as { person?: { first_name?: unknown; last_name?: unknown } })
      .person;
    add(given, person?.first_name);
    add(family, person?.last_name);
  }
  return { given, family };
};

/** The text of name-lexicon-data.ts for this lexicon (sorted: the same lists give the same file). */
export const nameLexiconModule = (lexicon: NameLexicon): string => {
  const list = (names: Set<string>) => JSON.stringify([...names].sort().join('\n'));
  return [
    '// Generated from faker by test/profile/name-lexicon.test.ts: do not edit. After upgrading faker,',
    '// `npx vitest run test/profile/name-lexicon.test.ts -u` writes it again (a second run then passes).',
    `export const GIVEN = ${list(lexicon.given)};`,
    `export const FAMILY = ${list(lexicon.family)};`,
    '',
  ].join('\n');
};
