/** Input bounds shared by the library, the CLI and the services. All configurable. */
export interface Limits {
  maxDocumentBytes: number;
  maxTitleBytes: number;
  maxIdBytes: number;
  maxQueryTerms: number;
  maxQueryBytes: number;
  maxResults: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxDocumentBytes: 1 << 20,
  maxTitleBytes: 1024,
  maxIdBytes: 256,
  maxQueryTerms: 64,
  maxQueryBytes: 4096,
  maxResults: 1000,
});
