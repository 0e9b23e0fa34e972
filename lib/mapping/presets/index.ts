import { ProblemRegistry, type MappingSettings } from '../registry.js'
import { BUILTINS } from '../builtins.js'
import { addPostgresPreset } from './postgres.js'
import { addPrismaPreset } from './prisma.js'
import { addMongodbPreset } from './mongodb.js'
import { addNetworkPreset } from './network.js'

/**
 * The presets in the order they are added, whatever the order of the option:
 * a later preset wins a tie within a rank. The database presets and `network`
 * answer the shared connection codes (ECONNREFUSED, …) alike, so the order
 * changes no answer; it only makes the layer the same for the same set.
 */
/** Presets of opt-in mappings (docs/presets.md). */
export type PresetName = 'postgres' | 'prisma' | 'mongodb' | 'network'

const PRESETS: ReadonlyArray<[PresetName, (layer: ProblemRegistry) => void]> = [
  ['postgres', addPostgresPreset],
  ['prisma', addPrismaPreset],
  ['mongodb', addMongodbPreset],
  ['network', addNetworkPreset]
]

/**
 * The registry layer between an app's root registry and the built-ins: the
 * presets its `presets` option names (docs/presets.md). Without presets the
 * root's parent is the built-in layer itself.
 */
export function presetLayer (presets: readonly PresetName[], settings: MappingSettings): ProblemRegistry {
  if (presets.length === 0) return BUILTINS
  const layer = new ProblemRegistry(BUILTINS, settings)
  for (const [name, add] of PRESETS) {
    if (presets.includes(name)) add(layer)
  }
  return layer
}
