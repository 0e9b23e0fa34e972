/**
 * The problem-type catalogue: every type defined with `defineProblem()`, in
 * definition order. Definitions are process-wide, so one definition serves
 * every app; each app resolves relative types against its own `typeBase`.
 */
export interface ProblemTypeEntry {
  /** The `type` as defined (relative or absolute). */
  readonly type: string
  readonly status: number
  readonly title: string
  readonly description: string | undefined
}

export const catalogue: ProblemTypeEntry[] = []
