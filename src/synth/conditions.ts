/**
 * Conditional sampling: `--where column=value` (or `conditions` in the dataset spec) asks for rows
 * that all have these exact values. Conditions are checked against the model first, so a value the
 * model can never emit is a clear error naming the column, not an endless search.
 */
import { BadInputError } from '../errors.ts';
import type { Cell } from '../table.ts';
import { dateParser } from './datetime.ts';
import type { ModelArtifact } from './model.ts';

export interface Condition {
  column: number;
  test: (cell: Cell) => boolean;
}

export const compileConditions = (model: ModelArtifact, where: Record<string, string> = {}): Condition[] =>
  Object.entries(where).map(([name, value]) => {
    const column = model.columns.findIndex((c) => c.name === name);
    const spec = model.columns[column];
    if (spec === undefined) {
      throw new BadInputError(
        `condition ${name}=${value}: no column ${name} in the model (columns: ${model.columns.map((c) => c.name).join(', ')})`,
      );
    }
    const m = spec.marginal;
    const cannot = (why: string) => new BadInputError(`condition ${name}=${value} cannot be met: ${why}`);
    switch (m.type) {
      case 'categorical':
        if (!m.categories.includes(value)) {
          throw cannot(
            `the model's categories are ${m.categories.slice(0, 20).join(', ')}${m.categories.length > 20 ? ', …' : ''}`,
          );
        }
        return { column, test: (cell) => cell === value };
      case 'boolean':
        if (!m.labels.includes(value)) throw cannot(`the column's values are ${m.labels.join(' and ')}`);
        return { column, test: (cell) => cell === value };
      case 'numeric': {
        const x = Number(value);
        if (value.trim() === '' || !Number.isFinite(x)) throw cannot('the column is numeric');
        if (!m.integer)
          throw cannot('exact values of a continuous column almost never occur; condition on a category');
        if (x < m.min || x > m.max) throw cannot(`the column ranges from ${m.min} to ${m.max}`);
        return { column, test: (cell) => cell !== null && Number(cell) === x };
      }
      case 'datetime': {
        const read = dateParser(m.format);
        const ms = read(value);
        if (ms === null) throw cannot(`dates in this column are written ${m.format}`);
        return { column, test: (cell) => cell !== null && read(cell) === ms };
      }
      default:
        throw cannot(
          'conditions apply to categorical, boolean, integer and date columns, not personal data, keys or text',
        );
    }
  });

export const meets = (row: Cell[], conditions: Condition[]): boolean =>
  conditions.every((c) => c.test(row[c.column] ?? null));
