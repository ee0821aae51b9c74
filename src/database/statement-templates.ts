/**
 * Statements the QueryBuilder writes once per shape and the process then reuses with other
 * values. Building a query costs 0.3 to 0.5 ms of CPU, often more than running it, on paths that
 * run on every request (docs/PERFORMANCE.md, "Statements built once per shape").
 *
 * The caller describes a query with plain objects, passing every value that varies between calls
 * through `bind`, which records the value and returns a stand-in. The description with stand-ins
 * is the shape; the first time a shape is seen, the query is built from it, and each stand-in's
 * position among the built query's parameters is remembered.
 */
export class BoundValues {
  readonly values: unknown[] = [];

  /** Records `value` and returns the stand-in the query is described and built with. */
  readonly bind = <T>(value: T): T => {
    this.values.push(value);
    return `${STAND_IN_PREFIX}${this.values.length - 1}` as T;
  };
}

export interface Statement {
  sql: string;
  params: unknown[];
}

interface BuiltQuery {
  getQuery(): string;
  getParams(): readonly unknown[];
}

/** What sends SQL with parameters: an EntityManager, or one of its connections. */
interface StatementSender {
  execute(sql: string, params: unknown[]): Promise<unknown>;
}

type Parameter = { slot: number } | { constant: unknown };

// NUL never reaches PostgreSQL in a text value, so a stand-in cannot be mistaken for a real value.
const STAND_IN_PREFIX = '\u0000bound:';

export class StatementTemplates {
  private readonly templates = new Map<string, { sql: string; params: Parameter[] }>();

  /** At most `maxShapes` are kept; the oldest goes first. */
  constructor(private readonly maxShapes: number) {}

  /** The statement for `bound.values`, building the query with `build()` when `shape` is new. */
  statement(shape: string, bound: BoundValues, build: () => BuiltQuery): Statement {
    let template = this.templates.get(shape);
    if (!template) {
      template = StatementTemplates.templateOf(build(), bound.values.length);
      if (this.templates.size >= this.maxShapes) {
        this.templates.delete(this.templates.keys().next().value!);
      }
      this.templates.set(shape, template);
    }
    return {
      sql: template.sql,
      params: template.params.map((parameter) => ('slot' in parameter ? bound.values[parameter.slot] : parameter.constant)),
    };
  }

  /**
   * Sends the statement for `bound.values` through `sender` (the EntityManager or one of its
   * connections) and answers its rows as PostgreSQL names the columns, unmapped.
   */
  async rows(sender: StatementSender, shape: string, bound: BoundValues, build: () => BuiltQuery): Promise<Array<Record<string, string>>> {
    const { sql, params } = this.statement(shape, bound, build);
    return (await sender.execute(sql, params)) as Array<Record<string, string>>;
  }

  private static templateOf(query: BuiltQuery, boundCount: number): { sql: string; params: Parameter[] } {
    const sql = query.getQuery();
    const params = query.getParams().map((param): Parameter => {
      if (typeof param === 'string' && param.startsWith(STAND_IN_PREFIX)) {
        return { slot: Number(param.slice(STAND_IN_PREFIX.length)) };
      }
      return { constant: param };
    });
    const slots = new Set(params.flatMap((parameter) => ('slot' in parameter ? [parameter.slot] : [])));
    // A stand-in written into the SQL text, or bound but never used, would serve every later call
    // with the first call's value: refuse the shape at once.
    if (sql.includes(STAND_IN_PREFIX) || slots.size !== boundCount) {
      throw new Error(`statement template: ${boundCount} values bound, ${slots.size} found among the parameters of ${sql}`);
    }
    return { sql, params };
  }
}
