/**
 * Listeners of one kind. A listener that throws is reported and the others still run: user code
 * must never be able to stop delivery or break the connection.
 */
export class ListenerSet<A extends unknown[]> {
  private readonly fns = new Set<(...args: A) => void>();

  constructor(
    private readonly what: string,
    private readonly report: (message: string, error: unknown) => void,
  ) {}

  get size(): number {
    return this.fns.size;
  }

  /**
   * Adds `fn`; returns the function that removes it.
   * @throws {TypeError} when `fn` is not a function.
   */
  add(fn: (...args: A) => void): () => void {
    if (typeof fn !== 'function') {
      throw new TypeError(
        `A ${this.what} listener must be a function, not ${fn === null ? 'null' : typeof fn}.`,
      );
    }
    this.fns.add(fn);
    return () => {
      this.fns.delete(fn);
    };
  }

  emit(...args: A): void {
    for (const fn of this.fns) {
      try {
        fn(...args);
      } catch (e) {
        this.report(`A ${this.what} listener threw; the client carries on.`, e);
      }
    }
  }
}
