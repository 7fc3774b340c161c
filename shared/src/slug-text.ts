// Zod-free on purpose: the dashboard bundles these without pulling zod into the browser.

/** Lowercase letters, digits and single dashes, 1–40 characters, no dash at either end. */
export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){0,39}$/;

/** Turns a display name into a slug candidate ("Acme Inc." → "acme-inc"); may still be invalid when empty. */
export function slugify(name: string): string {
  const base = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .replace(/-+$/, '');
  return base.slice(0, 40).replace(/-+$/, '');
}
