/**
 * A tiny YAML emitter for Ansible extra-vars files. Every string is written as a double-quoted
 * scalar tagged `!unsafe`, so Ansible never templates it: Jinja in a site name stays text.
 * It accepts JSON-compatible values only (strings, finite numbers, booleans, null, arrays,
 * plain objects); anything else is a programmer error and throws.
 */

// PyYAML (which Ansible uses) rejects non-printable characters anywhere in the stream and folds
// YAML 1.1 line breaks (NEL, LS, PS) inside double-quoted scalars: escape all of them (and
// the byte-order mark).
const NOT_YAML_PRINTABLE = /[^\x20-\x7E\xA0-\u2027\u202A-\uD7FF\uE000-\uFEFE\uFF00-\uFFFD\u{10000}-\u{10FFFF}]/gu;

function quote(value: string): string {
  // JSON escapes are a subset of YAML's double-quoted escapes.
  return JSON.stringify(value).replace(NOT_YAML_PRINTABLE, (ch) => {
    let out = '';
    for (let i = 0; i < ch.length; i++) out += `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`;
    return out;
  });
}

function number(value: number): string {
  if (!Number.isFinite(value)) throw new TypeError(`cannot write ${value} as YAML`);
  const text = JSON.stringify(value);
  // YAML 1.1 reads "1e+21" as a string: its floats need a dot before the exponent.
  return /e/i.test(text) && !text.includes('.') ? text.replace(/e/i, '.0e') : text;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The inline form of a scalar or empty collection, or null when the value needs a block. */
function inline(value: unknown): string | null {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string': return `!unsafe ${quote(value)}`;
    case 'number': return number(value);
    case 'boolean': return value ? 'true' : 'false';
  }
  if (Array.isArray(value)) return value.length === 0 ? '[]' : null;
  if (isPlainObject(value)) return definedEntries(value).length === 0 ? '{}' : null;
  throw new TypeError(`cannot write a ${typeof value} as YAML`);
}

function definedEntries(value: Record<string, unknown>): [string, unknown][] {
  return Object.entries(value).filter(([, v]) => v !== undefined);
}

function block(value: unknown, indent: number, out: string[]): void {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    for (const item of value) {
      const line = inline(item === undefined ? null : item);
      if (line !== null) out.push(`${pad}- ${line}`);
      else {
        out.push(`${pad}-`);
        block(item, indent + 2, out);
      }
    }
    return;
  }
  for (const [key, item] of definedEntries(value as Record<string, unknown>)) {
    const line = inline(item);
    if (line !== null) out.push(`${pad}${quote(key)}: ${line}`);
    else {
      out.push(`${pad}${quote(key)}:`);
      block(item, indent + 2, out);
    }
  }
}

/** Writes a top-level mapping as a YAML document whose strings are all `!unsafe`. */
export function toUnsafeYaml(doc: Record<string, unknown>): string {
  if (!isPlainObject(doc)) throw new TypeError('the top level must be a plain object');
  const out = ['---'];
  if (definedEntries(doc).length === 0) out.push('{}');
  else block(doc, 0, out);
  return `${out.join('\n')}\n`;
}
