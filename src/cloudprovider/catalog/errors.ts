/** Raised when an instance catalogue cannot be built: unreadable data, a bad option, an unknown name. */
export class CatalogError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CatalogError';
  }
}
