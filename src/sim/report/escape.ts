/**
 * Escapes text for HTML element content and for attribute values in either kind of quotes. Every
 * piece of text that comes from a result (scenario names, decision summaries, type names) goes
 * through here before it reaches the report.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
