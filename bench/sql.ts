/** `?` placeholders (MikroORM style, as src/ writes its SQL) to pg's `$1..$n`. */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
