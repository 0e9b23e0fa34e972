import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

// docs/architecture.md: a thrown error goes down through the folders, and
// every import points the same way (no layer imports a higher one). The cycle
// check itself is dpdm's, run by `npm test` (`npm run cycles`).
const lib = resolve(dirname(fileURLToPath(import.meta.url)), '../lib')
const RANK: Record<string, number> = { 'errors.ts': 0, 'bounded-cache.ts': 0, model: 1, client: 2, testing: 2, mapping: 2, response: 3, fastify: 4, 'index.ts': 5 }

function layerOf (file: string): string {
  return relative(lib, file).split('/')[0].replace(/\.js$/, '.ts')
}

function sources (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    return entry.isDirectory() ? sources(path) : entry.name.endsWith('.ts') ? [path] : []
  })
}

const IMPORT = /^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm

t.test('every import of lib/ points down the layers', async (t) => {
  const files = sources(lib)
  t.ok(files.length > 30, 'the sources are found')
  for (const file of files) {
    const from = layerOf(file)
    for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const spec = match[1]
      if (!spec.startsWith('.')) continue
      const to = layerOf(resolve(dirname(file), spec))
      const ok = from === to || RANK[to] < RANK[from]
      if (RANK[from] === undefined) t.fail(`${relative(lib, file)}: ${from} is not a known layer`)
      if (!ok) t.fail(`${relative(lib, file)} imports ${spec} (${from} → ${to})`)
      if ((from === 'client' || from === 'testing') && to !== from && to !== 'model' && to !== 'errors.ts') t.fail(`${relative(lib, file)}: the ${from} entry imports only the model`)
      if (from === 'mapping' && to === 'client') t.fail(`${relative(lib, file)}: the mapping layer does not use the client`)
    }
  }
  t.pass('checked')
})

t.test('errors.ts and bounded-cache.ts import nothing, so every layer can use them', async (t) => {
  for (const file of ['errors.ts', 'bounded-cache.ts']) t.notMatch(readFileSync(join(lib, file), 'utf8'), /^\s*import\s/m, file)
})

t.test('the server packages appear nowhere below lib/fastify except as type imports', async (t) => {
  for (const file of sources(lib)) {
    const layer = layerOf(file)
    if (layer === 'fastify' || layer === 'index.ts') continue
    for (const match of readFileSync(file, 'utf8').matchAll(/^\s*import\s+(type\s+)?[^'"]*?from\s+'(fastify|fastify-plugin)'/gm)) {
      if (match[1] === undefined) t.fail(`${relative(lib, file)} imports ${match[2]} at run time`)
    }
  }
  t.pass('checked')
})
