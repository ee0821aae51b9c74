import { BoundValues, StatementTemplates } from './statement-templates.js';

/** A stand-in for a built QueryBuilder: its SQL and parameters, as getQuery/getParams give them. */
const builtQuery = (sql: string, params: unknown[]) => ({ getQuery: () => sql, getParams: () => params });

/** Binds `values` and describes a query that uses them as parameters, in order, then a constant. */
function describedQuery(values: unknown[]) {
  const bound = new BoundValues();
  const standIns = values.map(bound.bind);
  return { bound, build: () => builtQuery(`select ? ${'and ? '.repeat(values.length - 1)}limit ?`, [...standIns, 51]) };
}

describe('StatementTemplates', () => {
  it('builds a shape once and serves later calls with their own values', () => {
    const templates = new StatementTemplates(10);
    let builds = 0;
    const statementFor = (values: unknown[]) => {
      const { bound, build } = describedQuery(values);
      return templates.statement('shape', bound, () => (builds++, build()));
    };
    expect(statementFor(['a', 1])).toEqual({ sql: 'select ? and ? limit ?', params: ['a', 1, 51] });
    expect(statementFor(['b', 2])).toEqual({ sql: 'select ? and ? limit ?', params: ['b', 2, 51] });
    expect(builds).toBe(1);
  });

  it('keeps Date and null values as they were bound', () => {
    const templates = new StatementTemplates(10);
    const instant = new Date('2026-01-02T03:04:05.678Z');
    const { bound, build } = describedQuery([instant, null]);
    expect(templates.statement('dates', bound, build).params).toEqual([instant, null, 51]);
  });

  it('refuses a query that wrote a stand-in into its SQL text instead of a parameter', () => {
    const templates = new StatementTemplates(10);
    const bound = new BoundValues();
    const standIn = bound.bind('x');
    expect(() => templates.statement('inlined', bound, () => builtQuery(`select '${standIn}'`, []))).toThrow(/1 values bound, 0 found/);
  });

  it('refuses a query that left a bound value out', () => {
    const templates = new StatementTemplates(10);
    const bound = new BoundValues();
    const used = bound.bind('used');
    bound.bind('forgotten');
    expect(() => templates.statement('partial', bound, () => builtQuery('select ?', [used]))).toThrow(/2 values bound, 1 found/);
  });

  it('keeps at most maxShapes, dropping the oldest', () => {
    const templates = new StatementTemplates(2);
    let builds = 0;
    const statementFor = (shape: string) => {
      const { bound, build } = describedQuery(['v']);
      return templates.statement(shape, bound, () => (builds++, build()));
    };
    ['one', 'two', 'three', 'three', 'two'].forEach(statementFor);
    expect(builds).toBe(3);
    statementFor('one');
    expect(builds).toBe(4);
  });
});
