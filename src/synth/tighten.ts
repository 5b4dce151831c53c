/**
 * Tightens a fitted model to a stricter rare-category rule without refitting: categories whose
 * train count falls under `rareCategoryMin` are removed and the rest renormalized. Counts are
 * rebuilt from the frequencies and the non-null train rows the model was fitted on.
 */
import type { ModelArtifact } from './model.ts';

export const tightenModel = (model: ModelArtifact, rareCategoryMin: number): ModelArtifact => {
  if (rareCategoryMin <= model.settings.rareCategoryMin) return model;
  const columns = model.columns.map((column) => {
    const m = column.marginal;
    if (m.type !== 'categorical') return column;
    const nonNull = model.settings.trainRows * (1 - column.nullRate);
    const keep = m.categories
      .map((category, i) => ({ category, p: m.probs[i] ?? 0 }))
      .filter(({ p }) => Math.round(p * nonNull) >= rareCategoryMin);
    if (keep.length === m.categories.length) return column;
    if (keep.length === 0) {
      // Nothing is common enough to show: the column can only be missing, and no label stays behind.
      return { ...column, nullRate: 1, marginal: { type: 'text' as const, lengths: [0, 0] } };
    }
    const total = keep.reduce((a, k) => a + k.p, 0);
    return {
      ...column,
      marginal: {
        ...m,
        categories: keep.map((k) => k.category),
        probs: keep.map((k) => k.p / total),
        suppressed: m.suppressed + (m.categories.length - keep.length),
      },
    };
  });
  // An emptied column leaves the copula: drop its row and column from the correlation.
  const keepMembers = model.copula.members
    .map((column, k) => ({ column, k }))
    .filter(({ column }) => columns[column]?.marginal.type !== 'text');
  const copula = {
    members: keepMembers.map(({ column }) => column),
    correlation: keepMembers.map(({ k: i }) =>
      keepMembers.map(({ k: j }) => model.copula.correlation[i]?.[j] ?? 0),
    ),
  };
  return { ...model, columns, copula, settings: { ...model.settings, rareCategoryMin } };
};
