// A tiny tagged-template SQL builder: values become $n parameters, fragments nest.
export class Sql {
  constructor(
    readonly strings: readonly string[],
    readonly values: readonly unknown[],
  ) {}

  /** Renders to text with $1..$n placeholders and the flat list of values. */
  compile(): { text: string; values: unknown[] } {
    const values: unknown[] = [];
    const text = this.render(values);
    return { text, values };
  }

  private render(out: unknown[]): string {
    let text = this.strings[0];
    for (let i = 0; i < this.values.length; i++) {
      const v = this.values[i];
      if (v instanceof Sql) text += v.render(out);
      else if (v instanceof RawSql) text += v.text;
      else {
        out.push(v);
        text += `$${out.length}`;
      }
      text += this.strings[i + 1];
    }
    return text;
  }
}

class RawSql {
  constructor(readonly text: string) {}
}

export function sql(strings: TemplateStringsArray, ...values: unknown[]): Sql {
  return new Sql(strings, values);
}

/** Trusted SQL text (identifiers, keywords); never pass user input. */
sql.raw = (text: string): RawSql => new RawSql(text);

/** Joins fragments with a separator (default ", "). */
sql.join = (parts: (Sql | RawSql)[], separator = ', '): Sql => {
  if (parts.length === 0) return sql``;
  const strings = [''];
  for (let i = 1; i < parts.length; i++) strings.push(separator);
  strings.push('');
  return new Sql(strings, parts);
};

/** Joins conditions with AND; an empty list gives TRUE. */
sql.and = (parts: Sql[]): Sql => (parts.length ? sql`(${sql.join(parts, ') AND (')})` : sql`TRUE`);
sql.or = (parts: Sql[]): Sql => (parts.length ? sql`(${sql.join(parts, ') OR (')})` : sql`FALSE`);
