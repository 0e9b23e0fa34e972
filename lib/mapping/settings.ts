/** What the mapping layer needs of an app's options. */
export interface MappingSettings {
  /** Status of validation problems. */
  readonly validationStatus: 400 | 422
  /** Add message, cause chain and stack of unexpected errors (development only). */
  readonly exposeDetails: boolean
}
