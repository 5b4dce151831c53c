/**
 * Given names and family names of several locales (faker's lists, drawn from census and registry
 * data), folded for lookup. Imported dynamically by pii.ts: the locale modules are large.
 */
export interface NameLexicon {
  given: Set<string>;
  family: Set<string>;
}

export const loadNameLexicon = async (fold: (s: string) => string): Promise<NameLexicon> => {
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
      for (const name of list) if (typeof name === 'string') target.add(fold(name));
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
