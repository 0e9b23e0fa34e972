import { sealedLayer, type LayerBuilder, type ProblemRegistry } from '../registry.js'
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

const PRESETS: ReadonlyArray<[PresetName, (layer: LayerBuilder) => void]> = [
  ['postgres', addPostgresPreset],
  ['prisma', addPrismaPreset],
  ['mongodb', addMongodbPreset],
  ['network', addNetworkPreset]
]

/**
 * The registry layer between an app's root registry and the built-ins: the
 * presets its `presets` option names (docs/presets.md), sealed once built.
 * Without presets the root's parent is the built-in layer itself.
 */
export function presetLayer (presets: readonly PresetName[]): ProblemRegistry {
  if (presets.length === 0) return BUILTINS
  return sealedLayer(BUILTINS, (layer) => {
    for (const [name, add] of PRESETS) {
      if (presets.includes(name)) add(layer)
    }
  })
}
