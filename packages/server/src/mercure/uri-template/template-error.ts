/** Why a string is not a URI template, or not one the hub accepts. */
export interface TemplateError {
  /** A clause that completes "The selector … is not accepted: …". */
  readonly message: string;
  /**
   * Set when the string is a template but over one of the limits of `template-limits.ts` (the number it broke);
   * absent when it is no template at all (a Mercure selector that is then matched exactly).
   */
  readonly limit?: number;
}
