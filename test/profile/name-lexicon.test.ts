import { describe, expect, it } from 'vitest';
import { buildNameLexicon, loadNameLexicon, nameLexiconModule } from '../../src/profile/name-lexicon.ts';

describe('the name lexicon', () => {
  it("is the folded given and family names of faker's locales, as name-lexicon-data.ts holds them", async () => {
    // Prepare
    const built = await buildNameLexicon();

    // Act
    const loaded = await loadNameLexicon();

    // Assess: the file is what faker gives (a faker upgrade that changes the lists fails here)
    await expect(nameLexiconModule(built)).toMatchFileSnapshot('../../src/profile/name-lexicon-data.ts');
    expect(loaded.given).toEqual(built.given);
    expect(loaded.family).toEqual(built.family);
    expect(loaded.given.has('chloe')).toBe(true);
    expect(loaded.family.has('muller')).toBe(true);
  });
});
