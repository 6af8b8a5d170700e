import { describe, expect, it } from 'vitest';
import { compileRunFilter, NUMERIC_VALUE } from './compiler';
import { runFilterToSql } from './index';
import { parseRunFilter } from './parser';

const sql = (text: string, alias = 'r') => runFilterToSql(text, { alias });
const NUM = (n: number, alias = 'r') =>
  `(CASE WHEN length((${alias}.params ->> $${n}::text)) <= 1000 AND (${alias}.params ->> $${n + 1}::text) ~ '${NUMERIC_VALUE}' THEN (${alias}.params ->> $${n + 2}::text)::numeric END)`;

describe('compileRunFilter', () => {
  it('compiles an empty filter to TRUE', () => {
    expect(compileRunFilter(null).text).toBe('TRUE');
    expect(sql('   ').values).toEqual([]);
  });

  it('compares params and tags as text, the key and the value bound', () => {
    const out = sql("params.optimizer = 'adam'");
    expect(out.text).toBe('((r.params ->> $1::text) = $2::text)');
    expect(out.values).toEqual(['optimizer', 'adam']);
    expect(sql("tags.team != 'nlp'").text).toBe('((r.tags ->> $1::text) <> $2::text)');
    expect(sql("tags.team < 'm'").text).toBe('((r.tags ->> $1::text) < $2::text)');
  });

  it('compares params numerically with a number literal, over numeric-looking values only', () => {
    const out = sql('params.lr > 0.001');
    expect(out.text).toBe(`(${NUM(1)} > $4::numeric)`);
    expect(out.values).toEqual(['lr', 'lr', 'lr', '0.001']);
    for (const [op, sqlOp] of [
      ['=', '='],
      ['!=', '<>'],
      ['<', '<'],
      ['<=', '<='],
      ['>=', '>='],
    ]) {
      expect(sql(`params.lr ${op} -1e-3`).text).toBe(`(${NUM(1)} ${sqlOp} $4::numeric)`);
    }
  });

  it('compiles LIKE, ILIKE and their negations as text with a bound pattern', () => {
    expect(sql("tags.x LIKE 'a%'").text).toBe('((r.tags ->> $1::text) LIKE $2::text)');
    expect(sql("tags.x NOT LIKE 'a%'").text).toBe('((r.tags ->> $1::text) NOT LIKE $2::text)');
    expect(sql("name ILIKE '%bert%'").text).toBe('(r.name ILIKE $1::text)');
    expect(sql("name NOT ILIKE '%bert%'").text).toBe('(r.name NOT ILIKE $1::text)');
    expect(sql("status LIKE 'RUN%'").text).toBe('(r.status::text LIKE $1::text)');
  });

  it('compiles IN and NOT IN to one array parameter per kind of value', () => {
    const out = sql("params.bs IN ('auto', 32, 64)");
    expect(out.text).toBe(`((r.params ->> $1::text) = ANY($2::text[]) OR ${NUM(3)} = ANY($6::numeric[]))`);
    expect(out.values).toEqual(['bs', ['auto'], 'bs', 'bs', 'bs', ['32', '64']]);
    expect(sql("tags.x NOT IN ('a', 'b')").text).toBe('((r.tags ->> $1::text) <> ALL($2::text[]))');
    expect(sql("status IN ('running', 'FAILED')").values).toEqual([['RUNNING', 'FAILED']]);
    expect(sql("status NOT IN ('KILLED')").text).toBe('(r.status::text <> ALL($1::text[]))');
  });

  it('compiles IS NULL and IS NOT NULL (a missing param or tag)', () => {
    expect(sql('tags.note IS NULL').text).toBe('((r.tags ->> $1::text) IS NULL)');
    expect(sql('params.x IS NOT NULL').text).toBe('((r.params ->> $1::text) IS NOT NULL)');
    expect(sql('end_time IS NULL').text).toBe('(r.end_time IS NULL)');
  });

  it('casts attributes: status as text, times as timestamptz, ids as uuid', () => {
    expect(sql("status = 'COMPLETED'").text).toBe('(r.status::text = $1::text)');
    const times = sql("start_time >= '2024-01-01' AND end_time < 1704067200000 AND created_at != '2024-01-01T10:00:00+01'");
    expect(times.text).toBe(
      '((r.start_time >= $1::timestamptz) AND (r.end_time < $2::timestamptz) AND (r.created_at <> $3::timestamptz))',
    );
    expect(times.values).toEqual(['2024-01-01T00:00:00Z', '2024-01-01T00:00:00.000Z', '2024-01-01T10:00:00+01:00']);
    const id = '0b6fa6ba-1c52-4a0f-9e39-2f8a3c6b8d11';
    expect(sql(`id = '${id}' OR experiment_id IN ('${id}')`).text).toBe(
      '((r.id = $1::uuid) OR (r.experiment_id = ANY($2::uuid[])))',
    );
  });

  it('nests AND, OR and NOT with parentheses; NOT is the complement (IS NOT TRUE)', () => {
    expect(sql("(name = 'a' OR name = 'b') AND NOT tags.x = 'y'").text).toBe(
      '(((r.name = $1::text) OR (r.name = $2::text)) AND (((r.tags ->> $3::text) = $4::text) IS NOT TRUE))',
    );
  });

  it('qualifies columns with the alias, or not at all without one', () => {
    expect(runFilterToSql("name = 'a' AND params.x IS NULL").text).toBe(
      '((name = $1::text) AND ((params ->> $2::text) IS NULL))',
    );
    expect(sql("name = 'a'", 'runs_1').text).toBe('(runs_1.name = $1::text)');
  });

  it('refuses an alias that is not an identifier', () => {
    expect(() => compileRunFilter(parseRunFilter("name = 'a'"), { alias: 'r; DROP TABLE runs' })).toThrow(/alias must be/);
    expect(() => compileRunFilter(null, { alias: 'r.x' })).toThrow(/alias must be/);
  });

  it('offers Prisma placeholders too', () => {
    expect(sql("name = 'a'").sql).toBe('(r.name = ?::text)');
  });
});

describe('SQL injection attempts end up as bound parameters', () => {
  const hostile = [
    "x'; DROP TABLE runs; --",
    "' OR '1'='1",
    'a") OR 1=1 --',
    '$1; DELETE FROM users',
    "\\'; SELECT pg_sleep(10); --",
  ];

  it.each(hostile)('as a value: %s', (attack) => {
    const quoted = `'${attack.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
    for (const filter of [`params.x = ${quoted}`, `tags.x LIKE ${quoted}`, `name IN ('a', ${quoted})`]) {
      const out = sql(filter);
      expect(out.values.flat()).toContain(attack);
      expect(out.text).not.toContain(attack);
      expect(out.sql).not.toMatch(/DROP|DELETE|pg_sleep|1=1|'1'/);
    }
  });

  it.each(hostile)('as a param or tag name: %s', (attack) => {
    const quoted = `\`${attack.replace(/\\/g, '\\\\').replace(/`/g, '``')}\``;
    for (const filter of [`params.${quoted} = 1`, `tags.${quoted} IS NULL`, `params.${quoted} NOT IN ('a')`]) {
      const out = sql(filter);
      expect(out.values).toContain(attack);
      expect(out.text).not.toContain(attack);
      expect(out.sql).not.toMatch(/DROP|DELETE|pg_sleep|1=1|'1'/);
    }
  });

  it('never splices a double-quoted name into the SQL', () => {
    const out = sql('params."a\'b"" OR 1=1 --" >= 3');
    expect(out.values).toEqual(['a\'b" OR 1=1 --', 'a\'b" OR 1=1 --', 'a\'b" OR 1=1 --', '3']);
    expect(out.text).not.toContain('OR 1=1');
  });

  it('rejects SQL outside quotes instead of compiling it', () => {
    expect(() => sql("name = 'a' OR 1=1")).toThrow(/BAD|expected a condition after 'OR', found '1'/);
    expect(() => sql("name = 'a'; DROP TABLE runs")).toThrow(/unexpected character ';'/);
    expect(() => sql("name = 'a' -- comment")).toThrow(/Invalid filter/);
    expect(() => sql("name = 'a' /* x */")).toThrow(/Invalid filter/);
  });
});

describe('config paths', () => {
  const J = (n: number) => `(r.config #> $${n}::text[])`;

  it('compares a number with JSON numbers, and = also tests containment (the GIN index)', () => {
    const out = sql('config.optimizer.lr > 1e-4');
    expect(out.text).toBe(`((CASE WHEN jsonb_typeof(${J(1)}) = 'number' THEN (${J(2)})::numeric END) > $3::numeric)`);
    expect(out.values).toEqual([['optimizer', 'lr'], ['optimizer', 'lr'], '1e-4']);
    const eq = sql('config.optimizer.lr = 0.001');
    expect(eq.text).toMatch(
      /^\(r\.config @> jsonb_build_object\(\$1::text, jsonb_build_object\(\$2::text, to_jsonb\(\$3::numeric\)\)\) AND /,
    );
    expect(eq.values.slice(0, 3)).toEqual(['optimizer', 'lr', '0.001']);
  });

  it('compares a string with JSON strings and booleans', () => {
    const out = sql('config.model.name = "llama"');
    expect(out.text).toBe(
      `(r.config @> jsonb_build_object($1::text, jsonb_build_object($2::text, to_jsonb($3::text))) AND (CASE WHEN jsonb_typeof(${J(4)}) IN ('string', 'boolean') THEN ${J(5)} #>> '{}' END) = $6::text)`,
    );
    // no containment where it would mean something else: 'true' also matches a boolean, a digit segment indexes an array
    expect(sql("config.flash = 'true'").text).not.toContain('@>');
    expect(sql("config.layers.0.kind = 'attn'").text).not.toContain('@>');
  });

  it('tests absence (or JSON null) with IS NULL', () => {
    expect(sql('config.seed IS NULL').text).toBe(`(COALESCE(jsonb_typeof(${J(1)}), 'null') = 'null')`);
    expect(sql('config.seed IS NOT NULL').text).toBe(`(COALESCE(jsonb_typeof(${J(1)}), 'null') <> 'null')`);
  });

  it('binds hostile path segments', () => {
    const out = sql("config.b.`a'); DROP TABLE runs; --` = 1");
    expect(out.text).not.toContain('DROP');
    expect(out.values).toContainEqual(['b', "a'); DROP TABLE runs; --"]);
  });
});
