// Which threads scan and profile files besides the handler's (PROFILE_WORKERS): none, one that scans each whole file
// as it streams (profile-thread.ts), or several that profile its pieces (profile-pool.ts).
import { availableParallelism } from 'node:os'
import type { Profiler } from '../shared/csv-metadata.ts'
import { ProfilePool } from './profile-pool.ts'
import { ProfileThread } from './profile-thread.ts'

/**
 * Threads for `setting`: unset, one per core but the handler's from 4 cores on, and none below: the deployed
 * processor (1,024 MB) has about half a vCPU, and pieces do not pay on 2 cores (README Performance); where a
 * processor has 2-3 whole cores, the embedded stack sets 1 (infra/pipeline.ts localTuning). 0 profiles on the
 * handler's thread.
 */
export function profileWorkers (setting: number | undefined, cores = availableParallelism()): number {
  return setting ?? (cores >= 4 ? cores - 1 : 0)
}

/** The profiler of `workers` threads: one scans each whole file while the handler's thread reads it; more share its pieces. */
export function profilerFor (workers: number): (Profiler & { close: () => Promise<void> }) | undefined {
  if (workers === 1) return new ProfileThread()
  return workers > 1 ? new ProfilePool(workers) : undefined
}
